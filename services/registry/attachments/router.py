"""Attachment uploads for surveys: declare by SHA-256, send chunks at offsets, resume after a drop."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from services.kit.auth import Principal, PrincipalDep, Role, require_roles
from services.kit.database import SessionDep
from services.registry.attachments import service
from services.registry.attachments.schemas import AttachmentDeclare, AttachmentOut
from services.registry.surveys.router import ContextDep

router = APIRouter(prefix="/api/v1/surveys/attachments", tags=["survey attachments / 调查附件"])
SurveyorDep = Annotated[Principal, Depends(require_roles(Role.CADRE, Role.VILLAGE_OFFICER))]
Sha256Path = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]


@router.post(
    "",
    response_model=AttachmentOut,
    status_code=201,
    summary="Declare an attachment by SHA-256 / 登记附件",
    description=(
        "201 for a new file; 200 with how much has arrived when the same file was declared before "
        "(complete: do not send it again). 同一文件只存一份;已登记时返回已接收的字节数。"
    ),
)
async def declare(
    body: AttachmentDeclare,
    response: Response,
    session: SessionDep,
    principal: SurveyorDep,
    context: ContextDep,
) -> AttachmentOut:
    result, created = await service.declare(session, body, principal=principal, context=context)
    if not created:
        response.status_code = 200
    return result


@router.get("/{sha256}", response_model=AttachmentOut, summary="Upload progress / 上传进度")
async def progress(sha256: Sha256Path, session: SessionDep, _principal: PrincipalDep) -> AttachmentOut:
    return await service.state(session, sha256)


@router.put(
    "/{sha256}",
    response_model=AttachmentOut,
    summary="Send bytes from an offset / 上传分片",
    description=(
        "Body: raw bytes (application/octet-stream) starting at `offset`, which must not be past the "
        "bytes already received (409 says where to resume). Resending a chunk is harmless. When the "
        "last byte arrives the file is checked against its SHA-256 (422 and back to zero if it fails). "
        "请求体为文件字节;从已接收位置续传;全部到达后校验哈希。"
    ),
)
async def upload(
    sha256: Sha256Path,
    offset: Annotated[int, Query(ge=0, le=2**31)],
    request: Request,
    session: SessionDep,
    _principal: SurveyorDep,
    context: ContextDep,
) -> AttachmentOut | JSONResponse:
    outcome = await service.append(session, sha256, offset, await request.body(), context=context)
    if isinstance(outcome, AttachmentOut):
        return outcome
    return outcome.to_response()


@router.get(
    "/{sha256}/content",
    summary="Download an attachment / 下载附件",
    description="For its uploader, or in the regions of a submission declaring it. 仅上传人或辖区内可见。",
    response_class=Response,
)
async def download(sha256: Sha256Path, session: SessionDep, principal: PrincipalDep) -> Response:
    data, content_type = await service.content(session, sha256, principal)
    return Response(content=data, media_type=content_type)
