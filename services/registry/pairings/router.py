"""Helper cadre, pairing and visit endpoints (结对帮扶、走访)."""

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from services.kit.auth import PrincipalDep
from services.kit.database import SessionDep
from services.kit.schemas import DivisionCode
from services.registry.clock import ClockDep
from services.registry.idempotency import IdempotencyKey, run_once
from services.registry.pairings import service
from services.registry.schemas import (
    HelperIn,
    HelperOut,
    PairingEnd,
    PairingIn,
    PairingOut,
    UnderVisited,
    VisitIn,
    VisitOut,
)

helpers_router = APIRouter(prefix="/api/v1/helpers", tags=["helpers / 结对帮扶"])
pairings_router = APIRouter(prefix="/api/v1/pairings", tags=["helpers / 结对帮扶"])
visits_router = APIRouter(prefix="/api/v1/visits", tags=["helpers / 结对帮扶"])


@helpers_router.post(
    "", response_model=HelperOut, status_code=201, summary="Register a helper cadre / 登记帮扶责任人"
)
async def add_helper(
    body: HelperIn,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    clock: ClockDep,
    idempotency_key: IdempotencyKey = None,
) -> HelperOut:
    result, created = await run_once(
        session,
        principal=principal,
        key=idempotency_key,
        operation="helper.add",
        body=body,
        result_type=HelperOut,
        create=lambda: service.add_helper(session, body, principal=principal, clock=clock),
    )
    if not created:
        response.status_code = 200
    return result


@helpers_router.get(
    "", response_model=list[HelperOut], summary="Helpers with quota and pairings / 帮扶责任人"
)
async def list_helpers(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    clock: ClockDep,
    limit: Annotated[int, Query(ge=1)] = 200,
) -> list[HelperOut]:
    return await service.list_helpers(
        session, principal, clock, min(limit, request.app.state.settings.max_page_size)
    )


@pairings_router.post(
    "",
    response_model=PairingOut,
    status_code=201,
    summary="Pair a helper with a household / 结对",
    description="409 `pairing_quota_full` beyond the quota of the rank (321: 3, 2, 1). Idempotency-Key.",
)
async def pair(
    body: PairingIn,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    idempotency_key: IdempotencyKey = None,
) -> PairingOut:
    result, created = await run_once(
        session,
        principal=principal,
        key=idempotency_key,
        operation="pairing.start",
        body=body,
        result_type=PairingOut,
        create=lambda: service.pair(session, body, principal=principal),
    )
    if not created:
        response.status_code = 200
    return result


@pairings_router.post("/{pairing_id}/end", response_model=PairingOut, summary="End a pairing / 解除结对")
async def end_pairing(
    pairing_id: uuid.UUID, body: PairingEnd, session: SessionDep, principal: PrincipalDep
) -> PairingOut:
    return await service.end_pairing(session, pairing_id, body, principal=principal)


@visits_router.post("", response_model=VisitOut, status_code=201, summary="Log a visit / 登记走访")
async def log_visit(
    body: VisitIn,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    clock: ClockDep,
    idempotency_key: IdempotencyKey = None,
) -> VisitOut:
    result, created = await run_once(
        session,
        principal=principal,
        key=idempotency_key,
        operation="visit.log",
        body=body,
        result_type=VisitOut,
        create=lambda: service.log_visit(session, body, principal=principal, clock=clock),
    )
    if not created:
        response.status_code = 200
    return result


@visits_router.get("", response_model=list[VisitOut], summary="A household's visits, newest first / 走访记录")
async def household_visits(
    household_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[VisitOut]:
    return await service.household_visits(session, household_id, principal, limit)


@visits_router.get(
    "/under-visited",
    response_model=list[UnderVisited],
    summary="Households visited less than the minimum in a month / 走访不足的农户",
    description="Registered and exited households; the minimum is a parameter (1 a month by default).",
)
async def under_visited(
    region_code: DivisionCode, month: dt.date, session: SessionDep, principal: PrincipalDep
) -> list[UnderVisited]:
    return await service.under_visited(session, principal, month, region_code)
