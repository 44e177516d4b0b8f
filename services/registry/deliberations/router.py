"""Village deliberation endpoints (村级评议)."""

import uuid

from fastapi import APIRouter, Request, Response

from services.kit.auth import PrincipalDep
from services.kit.database import SessionDep
from services.registry.clock import ClockDep
from services.registry.deliberations import service
from services.registry.idempotency import IdempotencyKey, run_once
from services.registry.schemas import DeliberationIn, DeliberationOut

router = APIRouter(prefix="/api/v1/deliberations", tags=["cases / 识别与退出"])


@router.post(
    "",
    response_model=DeliberationOut,
    status_code=201,
    summary="Record a village deliberation with its ranking by score / 村级评议(排队打分)",
    description=(
        "Every identification case of the village waiting for deliberation is reviewed: ranked by the "
        "eligibility service's score, approved unless listed in `rejected`. Attendance must reach the "
        "parameter (not fewer than 50 people by default). Needs an Idempotency-Key header."
    ),
)
async def deliberate(
    body: DeliberationIn,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    clock: ClockDep,
    idempotency_key: IdempotencyKey = None,
) -> DeliberationOut:
    result, created = await run_once(
        session,
        principal=principal,
        key=idempotency_key,
        operation="deliberation.record",
        body=body,
        result_type=DeliberationOut,
        create=lambda: service.deliberate(
            session,
            body,
            principal=principal,
            clock=clock,
            ranker=request.app.state.eligibility.village_ranking,
        ),
    )
    if not created:
        response.status_code = 200
    return result


@router.get("/{deliberation_id}", response_model=DeliberationOut, summary="A deliberation record / 评议记录")
async def get_deliberation(
    deliberation_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> DeliberationOut:
    return await service.get(session, deliberation_id, principal)
