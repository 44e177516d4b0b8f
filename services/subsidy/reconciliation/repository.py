"""Queries behind reconciliation."""

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.database import bulk_insert, one_of
from services.subsidy.models import BankStatement, Payment, StatementLine

CHUNK = 5000


async def by_hash(session: AsyncSession, digest: str) -> BankStatement | None:
    return (
        await session.execute(select(BankStatement).where(BankStatement.file_sha256 == digest))
    ).scalar_one_or_none()


async def payments_by_id(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, str, bool]]:
    """id → (amount, status, already reconciled)."""
    found: dict[uuid.UUID, tuple[int, str, bool]] = {}
    for start in range(0, len(ids), CHUNK):
        rows = await session.execute(
            select(Payment.id, Payment.amount_fen, Payment.status, Payment.reconciled_at).where(
                one_of(session, Payment.id, ids[start : start + CHUNK])
            )
        )
        for payment_id, amount, status, reconciled in rows.all():
            found[payment_id] = (int(amount), status, reconciled is not None)
    return found


async def mark_reconciled(session: AsyncSession, ids: Sequence[uuid.UUID], at: dt.datetime) -> None:
    for start in range(0, len(ids), CHUNK):
        await session.execute(
            update(Payment)
            .where(one_of(session, Payment.id, ids[start : start + CHUNK]))
            .values(reconciled_at=at)
            .execution_options(synchronize_session=False)
        )


async def insert_lines(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await bulk_insert(session, cast(Table, StatementLine.__table__), rows)


async def latest_booked_until(session: AsyncSession) -> dt.date | None:
    value = await session.scalar(select(func.max(BankStatement.booked_until)))
    return value if isinstance(value, dt.date) else None


def _missing(booked_until: dt.date) -> ColumnElement[bool]:
    """Paid by our records, settled by the statements' end, and on no statement line at all."""
    until = dt.datetime.combine(booked_until + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    on_a_line = exists().where(StatementLine.payment_id == Payment.id)
    return and_(
        Payment.status == "paid", Payment.reconciled_at.is_(None), Payment.settled_at < until, ~on_a_line
    )


async def missing_from_statements(
    session: AsyncSession, booked_until: dt.date, limit: int
) -> Sequence[Payment]:
    stmt = select(Payment).where(_missing(booked_until)).order_by(Payment.settled_at).limit(limit)
    return (await session.execute(stmt)).scalars().all()


async def count_missing(session: AsyncSession, booked_until: dt.date) -> int:
    return int(await session.scalar(select(func.count()).where(_missing(booked_until))) or 0)


async def problem_lines(
    session: AsyncSession, outcomes: Sequence[str], limit: int
) -> Sequence[StatementLine]:
    stmt = (
        select(StatementLine)
        .where(StatementLine.outcome.in_(outcomes))
        .order_by(StatementLine.id)
        .limit(limit)
    )
    return (await session.execute(stmt)).scalars().all()
