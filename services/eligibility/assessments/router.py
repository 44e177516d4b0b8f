"""Assessment endpoints: preview, latest, history, one, re-run."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from services.eligibility.assessments import service
from services.eligibility.schemas import AssessmentOut, AssessmentSummary, PreviewIn, RerunOut
from services.kit.auth import PrincipalDep
from services.kit.database import SessionDep

router = APIRouter(prefix="/api/v1/assessments", tags=["assessments / 识别评估"])


@router.post(
    "/preview",
    response_model=AssessmentOut,
    summary="Assess a household input without storing it / 试算(不保存)",
)
async def preview(body: PreviewIn, session: SessionDep, principal: PrincipalDep) -> AssessmentOut:
    return await service.preview(session, principal, body)


@router.get(
    "/households/{household_id}/latest",
    response_model=AssessmentOut,
    summary="A household's latest assessment, with reasons / 农户最新评估结果",
)
async def latest_assessment(
    household_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> AssessmentOut:
    return await service.latest(session, household_id, principal)


@router.get(
    "/households/{household_id}/history",
    response_model=list[AssessmentSummary],
    summary="A household's assessments, newest first / 农户评估历史",
)
async def assessment_history(
    household_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[AssessmentSummary]:
    return await service.history(session, household_id, principal, limit)


@router.get("/{assessment_id}", response_model=AssessmentOut, summary="One assessment, explained / 评估详情")
async def get_assessment(
    assessment_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> AssessmentOut:
    return await service.one(session, assessment_id, principal)


@router.post(
    "/{assessment_id}/rerun",
    response_model=RerunOut,
    summary="Compute a stored assessment again and compare, byte for byte / 复算核对",
)
async def rerun_assessment(
    assessment_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> RerunOut:
    return await service.rerun(session, assessment_id, principal)
