"""Program endpoints."""

from typing import Annotated

from fastapi import APIRouter, Depends

from services.kit.auth import Principal, PrincipalDep, Role, require_roles
from services.kit.database import SessionDep
from services.subsidy.programs import repository, service
from services.subsidy.schemas import ProgramCreate, ProgramOut

router = APIRouter(prefix="/api/v1/programs", tags=["programs / 扶贫项目"])
FinanceDep = Annotated[Principal, Depends(require_roles(Role.FINANCE_OFFICER))]


@router.post(
    "", response_model=ProgramOut, status_code=201, summary="Create a program with its budget / 新建项目"
)
async def create_program(body: ProgramCreate, session: SessionDep, actor: FinanceDep) -> ProgramOut:
    program = await service.create_program(session, body, actor=actor)
    return await service.program_out(session, program)


@router.get("", response_model=list[ProgramOut], summary="Programs in your regions / 项目列表")
async def list_programs(session: SessionDep, principal: PrincipalDep) -> list[ProgramOut]:
    return [
        await service.program_out(session, program)
        for program in await repository.list_programs(session, service.visible_counties(principal))
    ]
