"""Assessment endpoints."""

import uuid

from fastapi import APIRouter

from services.eligibility.assessments import service
from services.eligibility.schemas import AssessmentOut
from services.kit.auth import PrincipalDep
from services.kit.database import SessionDep

router = APIRouter(prefix="/api/v1/assessments", tags=["assessments / 识别评估"])


@router.get(
    "/households/{household_id}/latest",
    response_model=AssessmentOut,
    summary="A household's latest assessment, with reasons / 农户最新评估结果",
)
async def latest_assessment(
    household_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> AssessmentOut:
    return await service.latest(session, household_id, principal)
