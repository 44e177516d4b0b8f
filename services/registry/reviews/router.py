"""Annual review endpoints (年度动态调整)."""

import uuid

from fastapi import APIRouter, Response

from services.kit.auth import PrincipalDep
from services.kit.database import SessionDep
from services.registry.clock import ClockDep
from services.registry.idempotency import IdempotencyKey, run_once
from services.registry.reviews import service
from services.registry.schemas import AnnualReviewIn, AnnualReviewOut, ReviewOpen, ReviewOpened

router = APIRouter(prefix="/api/v1/annual-reviews", tags=["cases / 识别与退出"])


@router.post(
    "",
    response_model=AnnualReviewOut,
    status_code=201,
    summary="Propose the year's entries and exits for a county or township / 年度动态调整名单",
    description=(
        "From the latest assessments: households found poor but not registered (entries) and registered "
        "households found ready to exit (exits), none already in a case. The deadline (31 January by "
        "default) is a parameter; `overdue` says whether the review is late. Needs an Idempotency-Key."
    ),
)
async def propose(
    body: AnnualReviewIn,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    clock: ClockDep,
    idempotency_key: IdempotencyKey = None,
) -> AnnualReviewOut:
    result, created = await run_once(
        session,
        principal=principal,
        key=idempotency_key,
        operation="annual_review.propose",
        body=body,
        result_type=AnnualReviewOut,
        create=lambda: service.propose(session, body, principal=principal, clock=clock),
    )
    if not created:
        response.status_code = 200
    return result


@router.get("/{review_id}", response_model=AnnualReviewOut, summary="A review and its list / 动态调整名单")
async def get_review(
    review_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, clock: ClockDep
) -> AnnualReviewOut:
    return await service.get(session, review_id, principal, clock)


@router.post(
    "/{review_id}/cases",
    response_model=ReviewOpened,
    summary="Open the cases of the review in bulk / 批量发起识别与退出",
    description="Households already opened are skipped, so repeating the call is harmless. 可重复调用。",
)
async def open_cases(
    review_id: uuid.UUID, body: ReviewOpen, session: SessionDep, principal: PrincipalDep, clock: ClockDep
) -> ReviewOpened:
    return await service.open_cases(session, review_id, body, principal=principal, clock=clock)
