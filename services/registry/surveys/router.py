"""Survey endpoints for the cadres' mobile app and for reviewers."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from services.kit.auth import Principal, PrincipalDep, Role, require_roles
from services.kit.database import SessionDep
from services.kit.limits import PageOffset
from services.registry.schemas import SurveySubmit
from services.registry.surveys import service
from services.registry.surveys.schemas import BatchResult, BatchSubmit, Decision, ReviewOut, SurveyResult

router = APIRouter(prefix="/api/v1/surveys", tags=["surveys / 入户调查"])
SurveyorDep = Annotated[Principal, Depends(require_roles(Role.CADRE, Role.VILLAGE_OFFICER))]
ReviewerDep = Annotated[Principal, Depends(require_roles(Role.TOWNSHIP_REVIEWER, Role.COUNTY_APPROVER))]


async def survey_context(request: Request) -> service.Context:
    state = request.app.state
    return service.Context(vault=state.vault, settings=state.settings, clock=state.clock)


ContextDep = Annotated[service.Context, Depends(survey_context)]


@router.post(
    "",
    response_model=SurveyResult,
    status_code=201,
    summary="Submit a door-to-door survey / 提交入户调查",
    description=(
        "201 with the submission's status: accepted (applied to the household), needs_review (the "
        "household changed since base_version, an implausible value, a member already in another "
        "household) or received (waiting for attachments). 200 with the same when the same "
        "submission_id and body are resent; 409 when that id was used for another body; 422 with "
        "field paths when the survey breaks its form version. "
        "首次提交返回 201 及处理状态(已采纳/待审核/待补传附件);重复提交同一编号返回 200 及同一结果;"
        "编号被另一份调查占用返回 409;数据不合格返回 422 并逐项说明。"
    ),
    responses={200: {"model": SurveyResult, "description": "Resent: the same submission / 重复提交"}},
)
async def submit_survey(
    body: SurveySubmit, response: Response, session: SessionDep, principal: SurveyorDep, context: ContextDep
) -> SurveyResult:
    intake = await service.submit(session, body, principal=principal, context=context)
    if not intake.created:
        response.status_code = 200
    return intake.result


@router.post(
    "/batch",
    response_model=BatchResult,
    summary="Submit queued surveys in one request / 批量提交",
    description=(
        "Up to the configured number (100 by default). Each item is checked on its own: a bad one gets "
        "its error (422, 403, 404, 409) at its index and the others are stored as received (201), or "
        "replayed when resent (200). Stored items are then applied in the order received, each with its "
        "own outcome; their outcome (accepted, needs_review) comes back through /sync. "
        "每份调查单独校验、按序逐份入档(各有处理结果),允许部分成功;处理结果经同步接口返回。"
    ),
)
async def submit_batch(
    body: BatchSubmit, request: Request, session: SessionDep, principal: SurveyorDep, context: ContextDep
) -> BatchResult:
    result = await service.receive_batch(session, body.submissions, principal=principal, context=context)
    request.app.state.survey_applier.wake()
    return result


@router.get(
    "/reviews",
    response_model=list[SurveyResult],
    summary="Submissions waiting for review in my regions / 待审核的调查",
)
async def reviews(
    session: SessionDep,
    principal: ReviewerDep,
    status: Annotated[
        str, Query(pattern="^(needs_review|received|accepted|rejected)$")
    ] = service.NEEDS_REVIEW,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: PageOffset = 0,
) -> list[SurveyResult]:
    return await service.for_review(session, principal, status, limit, offset)


@router.get(
    "/{submission_id:uuid}",
    response_model=SurveyResult,
    summary="A submission's status / 查询提交状态",
    description="For its author, or within your regions; 404 otherwise. 仅提交人或辖区内人员可见。",
)
async def get_submission(
    submission_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> SurveyResult:
    return await service.get_submission(session, submission_id, principal)


@router.get(
    "/{submission_id:uuid}/review",
    response_model=ReviewOut,
    summary="A submission compared with its household, field by field / 审核视图",
)
async def review_view(
    submission_id: uuid.UUID, request: Request, session: SessionDep, principal: ReviewerDep
) -> ReviewOut:
    return await service.review_view(session, submission_id, principal, request.app.state.vault)


@router.post(
    "/{submission_id:uuid}/decision",
    response_model=ReviewOut,
    summary="Accept (choosing fields) or reject a submission / 审核决定",
    description=(
        "Accepting a conflict needs base_version (the household version compared against) and a choice, "
        "submitted or current, for each field that differs; the choice is audited. "
        "接受冲突的调查须注明比对时的户信息版本,并逐项选择采用调查值或现有值,选择记入审计。"
    ),
)
async def decide(
    submission_id: uuid.UUID, body: Decision, session: SessionDep, principal: ReviewerDep, context: ContextDep
) -> ReviewOut:
    return await service.decide(session, submission_id, body, principal=principal, context=context)
