"""The phone's sync: one cursor for its assigned households and its submissions' states."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from services.kit.auth import Principal, Role, require_roles
from services.kit.database import SessionDep
from services.registry.surveys.schemas import SyncPage
from services.registry.sync import service

router = APIRouter(prefix="/api/v1/surveys/sync", tags=["surveys / 入户调查"])
SurveyorDep = Annotated[Principal, Depends(require_roles(Role.CADRE, Role.VILLAGE_OFFICER))]


@router.get(
    "",
    response_model=SyncPage,
    summary="Households assigned to me and my submissions, after a cursor / 离线同步",
    description=(
        "Without `after`: every household assigned (those of the villages in your regions). With the "
        "`next_after` of the last page: what changed since, including households to drop (moved away "
        "or removed) and the state and reason of each of your submissions that changed. Repeat while "
        "`more` is true. `reset` means the cursor was made for other regions: replace local data. "
        "不带游标为全量下载;带上次返回的 next_after 为增量(含需删除的农户与提交状态变化)。"
    ),
)
async def sync(
    request: Request,
    session: SessionDep,
    principal: SurveyorDep,
    after: Annotated[str | None, Query(max_length=80)] = None,
    limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
) -> SyncPage:
    settings = request.app.state.settings
    return await service.sync_page(
        session,
        principal,
        after,
        min(limit or settings.sync_page_size, settings.sync_page_size),
        request.app.state.vault,
    )
