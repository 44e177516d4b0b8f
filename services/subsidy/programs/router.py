"""Program endpoints."""

from typing import Annotated

from fastapi import APIRouter, Depends

from services.kit.auth import Principal, PrincipalDep, Role, require_roles
from services.kit.database import SessionDep
from services.subsidy.funds.service import visible_counties
from services.subsidy.programs import repository, service
from services.subsidy.schemas import ProgramCreate, ProgramOut

router = APIRouter(prefix="/api/v1/programs", tags=["programs / 扶贫项目"])
FinanceDep = Annotated[Principal, Depends(require_roles(Role.FINANCE_OFFICER))]


@router.post(
    "",
    response_model=ProgramOut,
    status_code=201,
    summary="Create a program with its budget from a fund source / 新建项目并安排预算",
    description=(
        "The budget is taken from the fund source (409 when the grant is short); with `scheme_code` the "
        "catalogue's rules (caps, eligibility, documents) apply. 预算从资金来源划拨,不得超出。"
    ),
)
async def create_program(body: ProgramCreate, session: SessionDep, actor: FinanceDep) -> ProgramOut:
    program = await service.create_program(session, body, actor=actor)
    return await service.program_out(session, program)


@router.get("", response_model=list[ProgramOut], summary="Programs in your regions / 项目列表")
async def list_programs(session: SessionDep, principal: PrincipalDep) -> list[ProgramOut]:
    return [
        await service.program_out(session, program)
        for program in await repository.list_programs(session, visible_counties(principal))
    ]
