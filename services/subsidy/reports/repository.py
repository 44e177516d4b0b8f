"""Report queries: payments grouped by program, village and month; a household's ledger lines."""

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from services.kit.regions import region_filter
from services.subsidy.models import (
    Beneficiary,
    HouseholdStatus,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    Program,
)


def _month(session: AsyncSession, instant: QueryableAttribute[Any]) -> ColumnElement[str]:
    """The month of an instant in China time (月报 follow the local calendar)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("Asia/Shanghai", instant), "YYYY-MM")
    return func.strftime("%Y-%m", func.datetime(instant, "+8 hours"))


async def payments_by_program_village_month(
    session: AsyncSession, prefixes: tuple[str, ...], year: int | None, program_id: uuid.UUID | None
) -> Sequence[Any]:
    month = _month(session, Payment.created_at).label("month")
    paid = Payment.status == "paid"
    stmt = (
        select(
            Program.code,
            Program.name_zh,
            Payment.village_code,
            month,
            func.count().label("payments"),
            func.sum(case((paid, 1), else_=0)).label("paid_count"),
            func.coalesce(func.sum(case((paid, Payment.amount_fen), else_=0)), 0).label("paid_fen"),
            func.coalesce(
                func.sum(
                    case((Payment.status.in_(("queued", "sending", "sent")), Payment.amount_fen), else_=0)
                ),
                0,
            ).label("pending_fen"),
            func.sum(case((Payment.status == "failed", 1), else_=0)).label("failed_count"),
        )
        .join(Program, Program.id == Payment.program_id)
        .where(region_filter(Payment.village_code, prefixes))
        .group_by(Program.code, Program.name_zh, Payment.village_code, literal_column("month"))
        .order_by(Program.code, Payment.village_code, literal_column("month"))
    )
    if year is not None:
        stmt = stmt.where(Program.year == year)
    if program_id is not None:
        stmt = stmt.where(Program.id == program_id)
    return (await session.execute(stmt)).all()


async def paid_by_program_month(
    session: AsyncSession, prefix: str, start: dt.datetime, end: dt.datetime
) -> Sequence[Any]:
    """Settled (paid) payments into villages under `prefix`, settled in [start, end), by program and month."""
    month = _month(session, Payment.settled_at).label("month")
    stmt = (
        select(
            Program.code,
            Program.name_zh,
            month,
            func.count().label("payments"),
            func.sum(Payment.amount_fen).label("paid_fen"),
        )
        .join(Program, Program.id == Payment.program_id)
        .where(
            region_filter(Payment.village_code, (prefix,)),
            Payment.status == "paid",
            Payment.settled_at >= start,
            Payment.settled_at < end,
        )
        .group_by(Program.code, Program.name_zh, literal_column("month"))
        .order_by(literal_column("month"), Program.code)
    )
    return (await session.execute(stmt)).all()


async def household_village(session: AsyncSession, household_id: uuid.UUID) -> str | None:
    status = await session.get(HouseholdStatus, household_id)
    if status is not None:
        return status.village_code
    beneficiary = await session.get(Beneficiary, household_id)
    if beneficiary is not None:
        return beneficiary.village_code
    village = await session.scalar(
        select(Payment.village_code).where(Payment.household_id == household_id).limit(1)
    )
    return str(village) if village is not None else None


async def household_lines(session: AsyncSession, household_id: uuid.UUID) -> Sequence[Any]:
    """The receiving leg of every transaction touching the household, oldest first."""
    stmt = (
        select(
            LedgerTransaction.created_at,
            LedgerTransaction.kind,
            LedgerTransaction.memo,
            LedgerEntry.account,
            LedgerEntry.amount_fen,
            LedgerEntry.payment_id,
            Program.code,
            Program.name_zh,
            Payment.status,
        )
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .join(Program, Program.id == LedgerEntry.program_id)
        .outerjoin(Payment, Payment.id == LedgerEntry.payment_id)
        .where(LedgerEntry.household_id == household_id, LedgerEntry.amount_fen > 0)
        .order_by(LedgerTransaction.created_at, LedgerEntry.id)
    )
    return (await session.execute(stmt)).all()
