"""Registry parameters: the policy numbers in force for a region, and new values from a date."""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from services.kit.auth import Principal, PrincipalDep, Role, require_roles
from services.kit.database import SessionDep
from services.kit.schemas import DivisionCode
from services.registry.clock import ClockDep
from services.registry.idempotency import IdempotencyKey, run_once
from services.registry.parameters import service
from services.registry.schemas import ParameterIn, ParameterOut

router = APIRouter(prefix="/api/v1/registry/parameters", tags=["parameters / 参数"])


@router.get(
    "",
    response_model=list[ParameterOut],
    summary="Parameters in force for a region on a date / 现行参数",
)
async def effective(
    session: SessionDep,
    _principal: PrincipalDep,
    clock: ClockDep,
    region_code: DivisionCode = "000000000000",
    on: dt.date | None = None,
) -> list[ParameterOut]:
    return await service.effective(session, region_code, on or clock.today())


@router.post(
    "",
    response_model=ParameterOut,
    status_code=201,
    summary="Set a parameter for a region from a date / 设置参数",
    description="County approvers for their county, admins anywhere. 县级审批人可为本县设置参数。",
)
async def add(
    body: ParameterIn,
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require_roles(Role.COUNTY_APPROVER))],
    idempotency_key: IdempotencyKey = None,
) -> ParameterOut:
    result, created = await run_once(
        session,
        principal=principal,
        key=idempotency_key,
        operation="parameter.add",
        body=body,
        result_type=ParameterOut,
        create=lambda: service.add(session, body, principal),
    )
    if not created:
        response.status_code = 200
    return result
