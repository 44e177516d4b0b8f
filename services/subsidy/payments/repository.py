"""Queries on payments and batches."""

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.regions import region_filter
from services.subsidy.models import Payee, Payment, PaymentBatch, Program


async def get(
    session: AsyncSession,
    payment_id: uuid.UUID,
    prefixes: tuple[str, ...] = ("",),
    *,
    for_update: bool = False,
) -> Payment | None:
    stmt = select(Payment).where(Payment.id == payment_id, region_filter(Payment.village_code, prefixes))
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def by_idempotency_key(session: AsyncSession, key: str) -> Payment | None:
    result = await session.execute(select(Payment).where(Payment.idempotency_key == key))
    return result.scalar_one_or_none()


async def of_application(session: AsyncSession, application_id: uuid.UUID) -> Sequence[Payment]:
    stmt = select(Payment).where(Payment.application_id == application_id).order_by(Payment.created_at)
    return (await session.execute(stmt)).scalars().all()


async def live_for_application(session: AsyncSession, application_id: uuid.UUID) -> int:
    stmt = select(func.coalesce(func.sum(Payment.amount_fen), 0)).where(
        Payment.application_id == application_id, Payment.status != "failed"
    )
    return int(await session.scalar(stmt) or 0)


async def programs_by_id(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, Program]:
    rows = (await session.execute(select(Program).where(Program.id.in_(ids)))).scalars().all()
    return {program.id: program for program in rows}


async def claim_queued(
    session: AsyncSession, now: dt.datetime, limit: int, skip_locked: bool
) -> Sequence[Payment]:
    """Queued payments whose time has come, locked for this dispatcher (others skip them)."""
    stmt = (
        select(Payment)
        .where(Payment.status == "queued", Payment.next_attempt_at <= now)
        .order_by(Payment.next_attempt_at, Payment.id)
        .limit(limit)
    )
    if skip_locked:
        stmt = stmt.with_for_update(skip_locked=True)
    return (await session.execute(stmt)).scalars().all()


async def due_batches(
    session: AsyncSession, now: dt.datetime, limit: int, skip_locked: bool
) -> Sequence[PaymentBatch]:
    """Batches the bank has not acknowledged whose retry time has come."""
    stmt = (
        select(PaymentBatch)
        .where(PaymentBatch.status == "sending", PaymentBatch.next_attempt_at <= now)
        .order_by(PaymentBatch.next_attempt_at)
        .limit(limit)
    )
    if skip_locked:
        stmt = stmt.with_for_update(skip_locked=True)
    return (await session.execute(stmt)).scalars().all()


async def batch_items(session: AsyncSession, batch_id: uuid.UUID) -> Sequence[Payment]:
    stmt = select(Payment).where(Payment.batch_id == batch_id).order_by(Payment.id)
    return (await session.execute(stmt)).scalars().all()


async def get_batch(
    session: AsyncSession, batch_id: uuid.UUID, *, for_update: bool = False
) -> PaymentBatch | None:
    stmt = select(PaymentBatch).where(PaymentBatch.id == batch_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_batches(session: AsyncSession, limit: int) -> Sequence[PaymentBatch]:
    stmt = select(PaymentBatch).order_by(PaymentBatch.created_at.desc()).limit(limit)
    return (await session.execute(stmt)).scalars().all()


async def unsettled(
    session: AsyncSession, ids: Sequence[uuid.UUID], *, for_update: bool
) -> Sequence[Payment]:
    """Payments the bank has (or may have) and that have no final status yet, in id order."""
    stmt = (
        select(Payment)
        .where(Payment.id.in_(ids), Payment.status.in_(("sending", "sent")))
        .order_by(Payment.id)
    )
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalars().all()


async def existing_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    return set((await session.execute(select(Payment.id).where(Payment.id.in_(ids)))).scalars())


async def waiting_for_bank(
    session: AsyncSession, sent_before: dt.datetime, limit: int
) -> Sequence[uuid.UUID]:
    """Payments sent a while ago with no final word from the bank (callbacks lost or late)."""
    stmt = (
        select(Payment.id)
        .where(Payment.status == "sent", Payment.sent_at <= sent_before)
        .order_by(Payment.sent_at)
        .limit(limit)
    )
    return (await session.execute(stmt)).scalars().all()


async def mark_sent(
    session: AsyncSession, ids: Sequence[uuid.UUID], references: dict[uuid.UUID, str | None], now: dt.datetime
) -> None:
    if not ids:
        return
    await session.execute(
        update(Payment),
        [
            {"id": payment_id, "status": "sent", "sent_at": now, "bank_reference": references.get(payment_id)}
            for payment_id in ids
        ],
    )


async def requeue_batch(session: AsyncSession, batch_id: uuid.UUID, retry_at: dt.datetime) -> None:
    await session.execute(
        update(Payment)
        .where(Payment.batch_id == batch_id, Payment.status == "sending")
        .values(status="queued", batch_id=None, next_attempt_at=retry_at)
        .execution_options(synchronize_session=False)
    )


async def cached_payees(session: AsyncSession, household_ids: set[uuid.UUID]) -> dict[uuid.UUID, Payee]:
    rows = (await session.execute(select(Payee).where(Payee.household_id.in_(household_ids)))).scalars().all()
    return {row.household_id: row for row in rows}


async def forget_payees(session: AsyncSession, household_ids: set[uuid.UUID]) -> None:
    if household_ids:
        await session.execute(delete(Payee).where(Payee.household_id.in_(household_ids)))
