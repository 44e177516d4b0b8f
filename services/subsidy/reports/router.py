"""Report endpoints (报表)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from services.kit.auth import PrincipalDep
from services.kit.database import SessionDep
from services.subsidy.reports import service
from services.subsidy.schemas import HouseholdLedgerOut, PaymentReportRow

router = APIRouter(prefix="/api/v1/reports", tags=["reports / 报表"])


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
