"""Report endpoints (报表)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.kit.auth import Principal, PrincipalDep, require_scope
from services.kit.database import SessionDep
from services.kit.schemas import DivisionCode
from services.subsidy import contract
from services.subsidy.reports import service
from services.subsidy.schemas import HouseholdLedgerOut, PaymentReportRow

router = APIRouter(prefix="/api/v1/reports", tags=["reports / 报表"])
internal_router = APIRouter(tags=["internal / 内部"])
Month = Annotated[str, Query(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$", description="YYYY-MM, from 2000")]


@router.get(
    "/payments",
    response_model=list[PaymentReportRow],
    summary="Payments by program, village and month / 按项目、村、月统计发放",
)
async def payments_report(
    session: SessionDep,
    principal: PrincipalDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    program_id: uuid.UUID | None = None,
) -> list[PaymentReportRow]:
    return await service.payments_report(session, principal, year, program_id)


@router.get(
    "/households/{household_id}/ledger",
    response_model=HouseholdLedgerOut,
    summary="A household's subsidy ledger for its card / 户资金台账",
)
async def household_ledger(
    household_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> HouseholdLedgerOut:
    return await service.household_ledger(session, household_id, principal)


@internal_router.get(
    contract.PAID_BY_PROGRAM_PATH,
    response_model=list[contract.ProgramMonthPaid],
    summary="Paid totals by program and month for a region, for other services / 按项目、月统计已支付(内部)",
)
async def paid_by_program(
    region_code: DivisionCode,
    from_month: Month,
    to_month: Month,
    session: SessionDep,
    _principal: Annotated[Principal, Depends(require_scope(contract.REPORTS_SCOPE))],
) -> list[contract.ProgramMonthPaid]:
    return await service.paid_by_program(session, region_code, from_month, to_month)
