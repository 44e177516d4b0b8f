"""Help measure endpoints (帮扶措施)."""

import datetime as dt
import uuid

from fastapi import APIRouter, Response

from services.kit.auth import PrincipalDep
from services.kit.database import SessionDep
from services.kit.schemas import DivisionCode
from services.registry.clock import ClockDep
from services.registry.idempotency import IdempotencyKey, run_once
from services.registry.measures import service
from services.registry.schemas import MeasureEnd, MeasureIn, MeasureOut, ShortOfMeasures

household_router = APIRouter(prefix="/api/v1/households", tags=["measures / 帮扶措施"])
router = APIRouter(prefix="/api/v1/measures", tags=["measures / 帮扶措施"])


@household_router.post(
    "/{household_id}/measures",
    response_model=MeasureOut,
    status_code=201,
    summary="Add a help measure / 登记帮扶措施",
)
async def add_measure(
    household_id: uuid.UUID,
    body: MeasureIn,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    idempotency_key: IdempotencyKey = None,
) -> MeasureOut:
    result, created = await run_once(
        session,
        principal=principal,
        key=idempotency_key,
        operation=f"measure.add:{household_id}",
        body=body,
        result_type=MeasureOut,
        create=lambda: service.add(session, household_id, body, principal=principal),
    )
    if not created:
        response.status_code = 200
    return result


@household_router.get(
    "/{household_id}/measures",
    response_model=list[MeasureOut],
    summary="A household's measures / 帮扶措施台账",
)
async def list_measures(
    household_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> list[MeasureOut]:
    return await service.of_household(session, household_id, principal)


@household_router.post(
    "/{household_id}/measures/{measure_id}/end", response_model=MeasureOut, summary="End a measure / 结束措施"
)
async def end_measure(
    household_id: uuid.UUID,
    measure_id: uuid.UUID,
    body: MeasureEnd,
    session: SessionDep,
    principal: PrincipalDep,
) -> MeasureOut:
    return await service.end(session, household_id, measure_id, body, principal=principal)


@router.get(
    "/short",
    response_model=list[ShortOfMeasures],
    summary="Poor or exited households with too few income measures / 增收措施不足的农户",
    description="Fewer than the parameter (2 by default: 004 每户都有2项以上增收措施) in force on `on`.",
)
async def short(
    region_code: DivisionCode,
    session: SessionDep,
    principal: PrincipalDep,
    clock: ClockDep,
    on: dt.date | None = None,
) -> list[ShortOfMeasures]:
    return await service.short(session, principal, region_code, on, clock)
