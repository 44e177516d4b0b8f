"""Bulk reassessment endpoints: ask for one, follow its progress."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from services.eligibility.reassessments import service
from services.eligibility.schemas import ReassessmentIn, ReassessmentOut
from services.kit.auth import Principal, PrincipalDep, Role, require_roles
from services.kit.database import SessionDep

router = APIRouter(prefix="/api/v1/reassessments", tags=["reassessments / 批量重新评估"])
ApproverDep = Annotated[Principal, Depends(require_roles(Role.COUNTY_APPROVER))]


@router.post(
    "",
    response_model=ReassessmentOut,
    status_code=202,
    summary="Reassess every household of a region / 对辖区农户批量重新评估",
)
async def request_reassessment(
    body: ReassessmentIn,
    request: Request,
    session: SessionDep,
    principal: ApproverDep,
) -> ReassessmentOut:
    run = await service.request_run(session, principal, body)
    request.app.state.reassessment_worker.wake()
    return service.run_out(run)


@router.get("/{run_id}", response_model=ReassessmentOut, summary="A run's progress / 任务进度")
async def get_reassessment(
    run_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> ReassessmentOut:
    return service.run_out(await service.get(session, principal, run_id))
