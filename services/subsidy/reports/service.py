"""Reports: payments by program, village and month (月报); a household's ledger (户台账)."""

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.auth import Principal
from services.kit.errors import FieldError, NotFound, Unprocessable
from services.kit.regions import region_prefix
from services.subsidy.contract import ProgramMonthPaid
from services.subsidy.reports import repository
from services.subsidy.schemas import HouseholdLedgerLine, HouseholdLedgerOut, PaymentReportRow

# The calendar months are counted in: the same as the repository's month of an instant.
CALENDAR = ZoneInfo("Asia/Shanghai")
MOST_MONTHS = 24

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


def _month_number(month: str) -> int:
    year, number = (int(part) for part in month.split("-"))
    return year * 12 + number - 1


def _month_start(number: int) -> dt.datetime:
    return dt.datetime(number // 12, number % 12 + 1, 1, tzinfo=CALENDAR).astimezone(dt.UTC)


async def paid_by_program(
    session: AsyncSession, region_code: str, first_month: str, last_month: str
) -> list[ProgramMonthPaid]:
    """Settled payments (已支付) per program and month for a region, for the registry's monthly report."""
    first, last = _month_number(first_month), _month_number(last_month)
    if not 0 <= last - first < MOST_MONTHS:
        raise Unprocessable(
            f"to_month must not be before from_month, and at most {MOST_MONTHS} months are reported.",
            f"截止月份不能早于起始月份,且最多统计{MOST_MONTHS}个月。",
            fields=[FieldError(loc=["query", "to_month"], message="out of range", message_zh="超出范围")],
        )
    rows = await repository.paid_by_program_month(
        session, region_prefix(region_code), _month_start(first), _month_start(last + 1)
    )
    return [
        ProgramMonthPaid(
            program_code=row.code,
            program_name_zh=row.name_zh,
            month=row.month,
            payments=int(row.payments),
            paid_fen=int(row.paid_fen),
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
