"""Record endpoints: card (户有卡), roster (村有册), township book (乡有簿), county archive (县有档)."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi import Path as PathParameter
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from services.kit.auth import PrincipalDep
from services.kit.database import SessionDep
from services.registry.clock import ClockDep
from services.registry.records import service, xlsx
from services.registry.schemas import HouseholdCard, VillageRoster

card_router = APIRouter(prefix="/api/v1/households", tags=["records / 户卡村册"])
roster_router = APIRouter(prefix="/api/v1/divisions", tags=["records / 户卡村册"])
DivisionCodePath = Annotated[str, PathParameter(pattern=r"^[0-9]{12}$")]
XLSX_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {xlsx.CONTENT_TYPE: {}}, "description": "Excel workbook"}
}


@card_router.get("/{household_id}/card", response_model=HouseholdCard, summary="Household card / 户卡")
async def card(
    household_id: uuid.UUID, request: Request, session: SessionDep, principal: PrincipalDep, clock: ClockDep
) -> HouseholdCard:
    return await service.card(
        session, household_id, principal=principal, vault=request.app.state.vault, clock=clock
    )


@card_router.get(
    "/{household_id}/card.xlsx",
    response_class=Response,
    responses=XLSX_RESPONSE,
    summary="Household card as XLSX / 户卡(Excel)",
)
async def card_xlsx(
    household_id: uuid.UUID, request: Request, session: SessionDep, principal: PrincipalDep, clock: ClockDep
) -> Response:
    found = await service.card(
        session, household_id, principal=principal, vault=request.app.state.vault, clock=clock
    )
    return Response(
        xlsx.card_workbook(found, clock),
        media_type=xlsx.CONTENT_TYPE,
        headers={"content-disposition": f'attachment; filename="household-card-{household_id}.xlsx"'},
    )


@roster_router.get("/{village_code}/roster", response_model=VillageRoster, summary="Village roster / 村册")
async def roster(
    village_code: DivisionCodePath, session: SessionDep, principal: PrincipalDep, clock: ClockDep
) -> VillageRoster:
    return await service.roster(session, village_code, principal=principal, clock=clock)


@roster_router.get(
    "/{village_code}/roster.xlsx",
    response_class=Response,
    responses=XLSX_RESPONSE,
    summary="Village roster as XLSX / 村册(Excel)",
)
async def roster_xlsx(
    village_code: DivisionCodePath, session: SessionDep, principal: PrincipalDep, clock: ClockDep
) -> Response:
    found = await service.roster(session, village_code, principal=principal, clock=clock)
    return Response(
        xlsx.roster_workbook(found, clock),
        media_type=xlsx.CONTENT_TYPE,
        headers={"content-disposition": f'attachment; filename="village-roster-{village_code}.xlsx"'},
    )


@roster_router.get(
    "/{township_code}/book.xlsx",
    response_class=Response,
    responses=XLSX_RESPONSE,
    summary="Township book as XLSX / 乡有簿(Excel)",
    description="Each village of the township: its registered and exited households, then a summary row.",
)
async def book_xlsx(
    township_code: DivisionCodePath, session: SessionDep, principal: PrincipalDep, clock: ClockDep
) -> Response:
    found = await service.township_book(session, township_code, principal=principal, clock=clock)
    return Response(
        xlsx.book_workbook(found, clock),
        media_type=xlsx.CONTENT_TYPE,
        headers={"content-disposition": f'attachment; filename="township-book-{township_code}.xlsx"'},
    )


@roster_router.get(
    "/{county_code}/archive.xlsx",
    response_class=FileResponse,
    responses=XLSX_RESPONSE,
    summary="County archive as XLSX / 县有档(Excel)",
    description="Townships and villages summed up, then every registered and exited household of the county.",
)
async def archive_xlsx(
    county_code: DivisionCodePath, session: SessionDep, principal: PrincipalDep, clock: ClockDep
) -> FileResponse:
    found = await service.county_archive(session, county_code, principal=principal, clock=clock)
    path = await xlsx.archive_file(found, clock)
    return FileResponse(
        path,
        media_type=xlsx.CONTENT_TYPE,
        filename=f"county-archive-{county_code}.xlsx",
        background=BackgroundTask(path.unlink, missing_ok=True),
    )
