"""Monthly job program endpoints (公益性岗位 / 旅游岗位)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from services.kit.auth import Principal, Role, require_roles
from services.kit.database import SessionDep
from services.subsidy.jobs import repository, service
from services.subsidy.schemas import EnrolmentCreate, EnrolmentOut, PeriodRunOut

router = APIRouter(prefix="/api/v1/programs", tags=["programs / 扶贫项目"])
EnrolDep = Annotated[
    Principal, Depends(require_roles(Role.VILLAGE_OFFICER, Role.TOWNSHIP_REVIEWER, Role.FINANCE_OFFICER))
]
FinanceDep = Annotated[Principal, Depends(require_roles(Role.FINANCE_OFFICER))]


@router.post(
    "/{program_id}/enrolments",
    response_model=EnrolmentOut,
    status_code=201,
    summary="Enrol a poor person in a subsidised job / 登记岗位人员",
    description=(
        "Contract length and monthly amount follow the catalogue (公益性岗位: 合同三年以上, 100元/月)."
    ),
)
async def enrol(
    program_id: uuid.UUID, body: EnrolmentCreate, session: SessionDep, actor: EnrolDep
) -> EnrolmentOut:
    return EnrolmentOut.model_validate(await service.enrol(session, program_id, body, actor=actor))


@router.get("/{program_id}/enrolments", response_model=list[EnrolmentOut], summary="Enrolments / 岗位人员")
async def list_enrolments(
    program_id: uuid.UUID,
    session: SessionDep,
    actor: EnrolDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[EnrolmentOut]:
    rows = await repository.list_enrolments(session, program_id, actor.region_prefixes(), limit)
    return [EnrolmentOut.model_validate(row) for row in rows]


@router.post(
    "/{program_id}/periods/{period}/payments",
    response_model=PeriodRunOut,
    summary="Pay a month: one payment per enrolled person / 按月生成发放",
    description="Running a month again creates nothing new (每人每月只发一次). 409 if the budget is short.",
)
async def run_period(
    program_id: uuid.UUID,
    period: Annotated[str, Path(pattern=r"^[0-9]{4}-[0-9]{2}$")],
    session: SessionDep,
    actor: FinanceDep,
) -> PeriodRunOut:
    return await service.run_period(session, program_id, period, actor=actor)
