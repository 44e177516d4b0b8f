"""Case endpoints: open a case, do its next step, read it, list cases."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from services.kit.auth import PrincipalDep
from services.kit.database import SessionDep
from services.kit.limits import PageOffset
from services.kit.schemas import DivisionCode
from services.registry.cases import service
from services.registry.clock import ClockDep
from services.registry.idempotency import IdempotencyKey, run_once
from services.registry.schemas import CaseBrief, CaseOpen, CaseOut, StepDone
from services.registry.vocabulary import CaseKind, CaseStatus

router = APIRouter(prefix="/api/v1/cases", tags=["cases / 识别与退出"])


@router.post(
    "",
    response_model=CaseOut,
    status_code=201,
    summary="Open a case (identification, exit, relapse, revocation) / 发起办理",
    description=(
        "The opener does the first step, in the role the seed names for it (申请: village officer or cadre; "
        "拟退出: needs eligibility to find the household ready; 返贫: a cadre's visit; 清退: with "
        "reasons). One open case per household. Needs an Idempotency-Key header."
    ),
)
async def open_case(
    body: CaseOpen,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    clock: ClockDep,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    result, created = await run_once(
        session,
        principal=principal,
        key=idempotency_key,
        operation="case.open",
        body=body,
        result_type=CaseOut,
        create=lambda: service.open_case(session, body, principal=principal, clock=clock),
    )
    if not created:
        response.status_code = 200
    return result


@router.get("", response_model=list[CaseBrief], summary="Cases in your regions / 办理事项列表")
async def list_cases(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    village_code: DivisionCode | None = None,
    kind: CaseKind | None = None,
    status: CaseStatus | None = None,
    step: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1)] = 100,
    offset: PageOffset = 0,
) -> list[CaseBrief]:
    return await service.list_cases(
        session,
        principal,
        village_code=village_code,
        kind=kind,
        status=status,
        step=step,
        limit=min(limit, request.app.state.settings.max_page_size),
        offset=offset,
    )


@router.get("/{case_id}", response_model=CaseOut, summary="A case with every step done / 办理详情")
async def get_case(case_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> CaseOut:
    return await service.get_case(session, case_id, principal)


@router.post(
    "/{case_id}/steps",
    response_model=CaseOut,
    summary="Do the case's next step / 办理下一环节",
    description=(
        "Only the step the case waits at, by a role the seed names for it (403 otherwise), with the case "
        "version seen (409 if stale). Deliberation and notice steps are done through their own endpoints. "
        "须按顺序由相应角色办理。"
    ),
)
async def do_step(
    case_id: uuid.UUID, body: StepDone, session: SessionDep, principal: PrincipalDep, clock: ClockDep
) -> CaseOut:
    return await service.act(session, case_id, body, principal=principal, clock=clock)
