"""Reports: payments by program, village and month (月报); a household's ledger (户台账)."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.auth import Principal
from services.kit.errors import NotFound
from services.subsidy.reports import repository
from services.subsidy.schemas import HouseholdLedgerLine, HouseholdLedgerOut, PaymentReportRow

KIND_LABELS = {
    "payment_commitment": "安排发放",
    "payment_paid": "已支付到户",
    "payment_failed": "支付失败,资金退回",
    "application_reservation": "项目审定预留",
    "application_release": "核验未通过,预留退回",
    "reversal": "冲正",
}


async def payments_report(
    session: AsyncSession, principal: Principal, year: int | None, program_id: uuid.UUID | None
) -> list[PaymentReportRow]:
    rows = await repository.payments_by_program_village_month(
        session, principal.region_prefixes(), year, program_id
    )
    return [
        PaymentReportRow(
            program_code=row.code,
            program_name_zh=row.name_zh,
            village_code=row.village_code,
            month=row.month,
            payments=int(row.payments),
            paid_count=int(row.paid_count),
            paid_fen=int(row.paid_fen),
            pending_fen=int(row.pending_fen),
            failed_count=int(row.failed_count),
        )
        for row in rows
    ]


async def household_ledger(
    session: AsyncSession, household_id: uuid.UUID, principal: Principal
) -> HouseholdLedgerOut:
    village = await repository.household_village(session, household_id)
    if village is None or not principal.covers(village):
        raise NotFound("Household not found.", "未找到该户。")
    lines = []
    paid = in_flight = 0
    for row in await repository.household_lines(session, household_id):
        if row.account.startswith("committed:"):
            in_flight += row.amount_fen
        if row.kind in ("payment_paid", "payment_failed"):
            in_flight -= row.amount_fen
        if row.account.startswith("paid:"):
            paid += row.amount_fen
        lines.append(
            HouseholdLedgerLine(
                at=row.created_at,
                program_code=row.code,
                program_name_zh=row.name_zh,
                kind=row.kind,
                kind_label=KIND_LABELS.get(row.kind, row.kind),
                amount_fen=int(row.amount_fen),
                payment_id=row.payment_id,
                payment_status=row.status,
                memo=row.memo,
            )
        )
    return HouseholdLedgerOut(household_id=household_id, paid_fen=paid, in_flight_fen=in_flight, lines=lines)
