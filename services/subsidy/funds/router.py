"""Fund source endpoints (资金来源)."""

from typing import Annotated

from fastapi import APIRouter, Depends

from services.kit.auth import Principal, PrincipalDep, Role, require_roles
from services.kit.database import SessionDep
from services.subsidy.funds import repository, service
from services.subsidy.schemas import FundSourceCreate, FundSourceOut

router = APIRouter(prefix="/api/v1/fund-sources", tags=["funds / 资金来源"])
FinanceDep = Annotated[Principal, Depends(require_roles(Role.FINANCE_OFFICER))]


@router.post(
    "",
    response_model=FundSourceOut,
    status_code=201,
    summary="Register an earmarked grant / 登记资金来源",
    description="Programs draw their budgets from it, never more than granted. 项目预算从中安排,不得超出。",
)
async def create_fund_source(body: FundSourceCreate, session: SessionDep, actor: FinanceDep) -> FundSourceOut:
    source = await service.create_fund_source(session, body, actor=actor)
    return await service.fund_source_out(session, source)


@router.get("", response_model=list[FundSourceOut], summary="Fund sources in your regions / 资金来源列表")
async def list_fund_sources(session: SessionDep, principal: PrincipalDep) -> list[FundSourceOut]:
    return [
        await service.fund_source_out(session, source)
        for source in await repository.list_sources(session, service.visible_counties(principal))
    ]
