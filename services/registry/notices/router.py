"""Public notice endpoints: post, read (JSON or printable HTML), objections, close."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.kit.auth import Principal, PrincipalDep, current_principal
from services.kit.database import SessionDep
from services.kit.schemas import DivisionCode
from services.registry.clock import ClockDep
from services.registry.idempotency import IdempotencyKey, run_once
from services.registry.notices import page, service
from services.registry.schemas import (
    NoticeClose,
    NoticeOut,
    NoticePost,
    ObjectionIn,
    ObjectionOut,
    ObjectionResolve,
)
from services.registry.vocabulary import NoticeStatus

router = APIRouter(prefix="/api/v1/notices", tags=["notices / 公示"])
_optional_bearer = HTTPBearer(auto_error=False)


async def optional_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_optional_bearer)]
) -> Principal | None:
    """The caller if they sent a token; online notices can be read without one."""
    if credentials is None:
        return None
    return await current_principal(request, credentials)


@router.post(
    "",
    response_model=NoticeOut,
    status_code=201,
    summary="Post a notice for a village / 发布公示",
    description=(
        "Lists every case of the village waiting at this notice step (e.g. identification `first_notice`, "
        "`second_notice`, `third_notice`; exit `village_notice`, `township_notice`, `announcement`). The "
        "period comes from the parameters (7 days by default). Needs an Idempotency-Key header."
    ),
)
async def post_notice(
    body: NoticePost,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    clock: ClockDep,
    idempotency_key: IdempotencyKey = None,
) -> NoticeOut:
    result, created = await run_once(
        session,
        principal=principal,
        key=idempotency_key,
        operation="notice.post",
        body=body,
        result_type=NoticeOut,
        create=lambda: service.post(session, body, principal=principal, clock=clock),
    )
    if not created:
        response.status_code = 200
    return result


@router.get("", response_model=list[NoticeOut], summary="Notices in your regions / 公示列表")
async def list_notices(
    session: SessionDep,
    principal: PrincipalDep,
    village_code: DivisionCode | None = None,
    status: NoticeStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[NoticeOut]:
    return await service.list_notices(session, principal, village_code, status, limit)


@router.get(
    "/{notice_id}",
    response_model=NoticeOut,
    summary="A notice with its masked list and objections / 公示内容",
    description="Online notices (网上公示) can be read without a token. 网上公示无需登录即可查看。",
)
async def get_notice(
    notice_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> NoticeOut:
    return await service.get_notice(session, notice_id, principal)


@router.get(
    "/{notice_id}/page",
    response_class=HTMLResponse,
    summary="The notice as a printable page / 公示打印页",
    responses={200: {"content": {"text/html": {}}, "description": "printable HTML in Chinese"}},
)
async def notice_page(
    notice_id: uuid.UUID,
    session: SessionDep,
    clock: ClockDep,
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> HTMLResponse:
    return HTMLResponse(page.render(await service.get_notice(session, notice_id, principal), clock))


@router.post(
    "/{notice_id}/objections",
    response_model=ObjectionOut,
    status_code=201,
    summary="Record an objection during the period / 登记异议",
)
async def lodge_objection(
    notice_id: uuid.UUID,
    body: ObjectionIn,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    clock: ClockDep,
    idempotency_key: IdempotencyKey = None,
) -> ObjectionOut:
    result, created = await run_once(
        session,
        principal=principal,
        key=idempotency_key,
        operation=f"objection.lodge:{notice_id}",
        body=body,
        result_type=ObjectionOut,
        create=lambda: service.lodge(session, notice_id, body, principal=principal, clock=clock),
    )
    if not created:
        response.status_code = 200
    return result


@router.post(
    "/{notice_id}/objections/{objection_id}/resolution",
    response_model=ObjectionOut,
    summary="Resolve an objection: upheld or dismissed, with the reason / 处理异议",
)
async def resolve_objection(
    notice_id: uuid.UUID,
    objection_id: uuid.UUID,
    body: ObjectionResolve,
    session: SessionDep,
    principal: PrincipalDep,
    clock: ClockDep,
) -> ObjectionOut:
    return await service.resolve(session, notice_id, objection_id, body, principal=principal, clock=clock)


@router.post(
    "/{notice_id}/close",
    response_model=NoticeOut,
    summary="Close the notice after its period / 公示期满结束公示",
    description="409 `notice_period_running` before the period ends, `objections_open` while any is open.",
)
async def close_notice(
    notice_id: uuid.UUID, body: NoticeClose, session: SessionDep, principal: PrincipalDep, clock: ClockDep
) -> NoticeOut:
    return await service.close(session, notice_id, body, principal=principal, clock=clock)
