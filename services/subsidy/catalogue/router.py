"""Program catalogue endpoints (扶贫项目目录)."""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.kit.auth import Principal, PrincipalDep, Role, require_roles
from services.kit.database import SessionDep
from services.kit.regions import NATIONAL
from services.kit.schemas import DivisionCode
from services.subsidy.catalogue import service
from services.subsidy.schemas import ParametersCreate, ParametersOut, SchemeOut

router = APIRouter(prefix="/api/v1/catalogue", tags=["catalogue / 项目目录"])
ApproverDep = Annotated[Principal, Depends(require_roles(Role.COUNTY_APPROVER))]


@router.get(
    "/schemes",
    response_model=list[SchemeOut],
    summary="Programs of the catalogue with the numbers in force / 项目目录及现行参数",
)
async def list_schemes(
    session: SessionDep,
    _principal: PrincipalDep,
    region: Annotated[DivisionCode, Query(description="region whose numbers to show")] = NATIONAL,
    on: Annotated[dt.date | None, Query(description="date (default today)")] = None,
) -> list[SchemeOut]:
    return await service.list_schemes(session, region, on or dt.date.today())


@router.get("/schemes/{code}", response_model=SchemeOut, summary="One catalogue program / 目录项目")
async def get_scheme(
    code: str,
    session: SessionDep,
    _principal: PrincipalDep,
    region: Annotated[DivisionCode, Query()] = NATIONAL,
    on: Annotated[dt.date | None, Query()] = None,
) -> SchemeOut:
    return service.scheme_out(await service.rules_for(session, code, region, on or dt.date.today()))


@router.post(
    "/schemes/{code}/parameters",
    response_model=ParametersOut,
    status_code=201,
    summary="A new version of a program's numbers for a region / 新增政策参数版本",
    description=(
        "Versions are never rewritten; a later date or a more specific region overrides. 参数只增不改。"
    ),
)
async def add_parameters(
    code: str, body: ParametersCreate, session: SessionDep, actor: ApproverDep
) -> ParametersOut:
    return await service.add_parameters(session, code, body, actor=actor)
