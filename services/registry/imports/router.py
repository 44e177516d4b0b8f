"""The household import endpoint (档案导入): the county's spreadsheet rows, a batch at a time."""

from collections.abc import Awaitable
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from services.kit.auth import Principal, Role, require_roles
from services.kit.database import SessionDep
from services.registry.idempotency import IdempotencyKey, run_once
from services.registry.imports import service
from services.registry.imports.schemas import ImportRequest, ImportResult

router = APIRouter(prefix="/api/v1/households/imports", tags=["households / 农户"])
ImporterDep = Annotated[Principal, Depends(require_roles(Role.COUNTY_APPROVER))]


@router.post(
    "",
    response_model=ImportResult,
    summary="Import households from a county's file / 导入建档立卡档案",
    description=(
        "County approvers within their county; admins anywhere. Up to 500 households with their member rows, "
        "cells as the file has them (codes or Chinese labels, yuan). Each household is checked on its own: "
        "`items[i]` answers `households[i]` (created, unchanged or rejected with every problem, by row and "
        "column, in Chinese). A household's identity derives from its head's ID number, so sending the same "
        "rows again changes nothing. With an `Idempotency-Key` a resent batch gets the first answer (what "
        "it created), not `unchanged`. `dry_run` checks only. 县级审批人(本县)或管理员;逐户校验,"
        "同一文件重复导入不会重复建档;带幂等键重发同一批次时返回首次结果;dry_run 仅校验不写入。"
    ),
)
async def import_households(
    body: ImportRequest,
    request: Request,
    session: SessionDep,
    principal: ImporterDep,
    idempotency_key: IdempotencyKey = None,
) -> ImportResult:
    def create() -> Awaitable[ImportResult]:
        return service.import_households(session, body, principal=principal, vault=request.app.state.vault)

    if idempotency_key is None or body.dry_run:
        return await create()
    result, _created = await run_once(
        session,
        principal=principal,
        key=idempotency_key,
        operation="households.import",
        body=body,
        result_type=ImportResult,
        create=create,
    )
    return result
