"""Survey endpoints for the cadres' mobile app."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from services.kit.auth import Principal, Role, require_roles
from services.kit.database import SessionDep
from services.registry.schemas import SurveyResult, SurveySubmit
from services.registry.surveys import service

router = APIRouter(prefix="/api/v1/surveys", tags=["surveys / 入户调查"])
SurveyorDep = Annotated[Principal, Depends(require_roles(Role.CADRE, Role.VILLAGE_OFFICER))]


@router.post(
    "",
    response_model=SurveyResult,
    status_code=201,
    summary="Submit a door-to-door survey / 提交入户调查",
    description=(
        "201 when applied; 200 with the first result when the same submission_id is resent; "
        "409 when that id was used for a different body or the household changed since base_version. "
        "首次提交返回 201;重复提交同一编号返回首次结果。"
    ),
    responses={200: {"model": SurveyResult, "description": "Resent: the first result / 重复提交"}},
)
async def submit_survey(
    body: SurveySubmit, request: Request, response: Response, session: SessionDep, principal: SurveyorDep
) -> SurveyResult:
    intake = await service.submit(session, body, principal=principal, vault=request.app.state.vault)
    if not intake.created:
        response.status_code = 200
    return intake.result
