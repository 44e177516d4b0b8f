"""Queries on payments and batches."""

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, NamedTuple, cast

from sqlalchemy import String, Table, Uuid, bindparam, delete, func, or_, select, true, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeEngine

from services.kit.database import one_of
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


async def due_batches(
    session: AsyncSession, now: dt.datetime, limit: int, skip_locked: bool, exclude: set[uuid.UUID]
) -> Sequence[PaymentBatch]:
    """Batches the bank has not acknowledged whose retry time has come."""
    stmt = (
        select(PaymentBatch)
        .where(
            PaymentBatch.status == "sending",
            PaymentBatch.next_attempt_at <= now,
            PaymentBatch.id.not_in(exclude) if exclude else true(),
        )
        .order_by(PaymentBatch.next_attempt_at)
        .limit(limit)
    )
    if skip_locked:
        stmt = stmt.with_for_update(skip_locked=True)
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


class PaymentRow(NamedTuple):
    id: uuid.UUID
    program_id: uuid.UUID
    household_id: uuid.UUID
    amount_fen: int
    application_id: uuid.UUID | None
    period: str | None


async def unsettled_rows(
    session: AsyncSession, ids: Sequence[uuid.UUID], *, for_update: bool
) -> list[PaymentRow]:
    """Payments the bank has (or may have) with no final status yet, locked in id order."""
    stmt = (
        select(
            Payment.id,
            Payment.program_id,
            Payment.household_id,
            Payment.amount_fen,
            Payment.application_id,
            Payment.period,
        )
        .where(one_of(session, Payment.id, ids), Payment.status.in_(("sending", "sent")))
        .order_by(Payment.id)
    )
    if for_update:
        stmt = stmt.with_for_update()
    return [PaymentRow(*row) for row in (await session.execute(stmt)).all()]


async def record_settlements(session: AsyncSession, changes: list[dict[str, Any]], now: dt.datetime) -> None:
    """Final statuses in one statement; a row already final is not touched."""
    if not changes:
        return
    table = cast(Table, Payment.__table__)
    postgres = session.get_bind().dialect.name == "postgresql"
    keys = ("payment_id", "new_status", "reason", "reference")
    if postgres:
        # The batch's outcomes as four arrays unnested side by side: one statement, not one per payment.
        types: tuple[TypeEngine[Any], ...] = (Uuid(), String(), String(), String())
        arrays = [
            bindparam(None, [change[key] for change in changes], type_=ARRAY(of))
            for key, of in zip(keys, types, strict=True)
        ]
        outcomes = func.unnest(*arrays).table_valued(*keys).render_derived(name="outcomes")
        given = [outcomes.c[key] for key in keys]
    else:
        # Plain comparisons, sent as an executemany (an IN list cannot be bound in one).
        given = [bindparam(key) for key in keys]
    payment_id, new_status, reason, reference = given
    stmt = (
        update(table)
        .where(table.c.id == payment_id, or_(table.c.status == "sending", table.c.status == "sent"))
        .values(
            status=new_status,
            failure_reason=reason,
            bank_reference=func.coalesce(reference, table.c.bank_reference),
            settled_at=now,
            updated_at=now,
            version=table.c.version + 1,
        )
    )
    await (session.execute(stmt) if postgres else session.execute(stmt, changes))


async def claim_for_batch(
    session: AsyncSession, now: dt.datetime, limit: int, skip_locked: bool
) -> list[tuple[uuid.UUID, uuid.UUID, bool]]:
    """Queued payments whose time has come, locked for this dispatcher: (id, household, has payee)."""
    stmt = (
        select(Payment.id, Payment.household_id, Payment.payee_account.is_not(None))
        .where(Payment.status == "queued", Payment.next_attempt_at <= now)
        .order_by(Payment.next_attempt_at, Payment.id)
        .limit(limit)
    )
    if skip_locked:
        stmt = stmt.with_for_update(skip_locked=True)
    return [(row[0], row[1], bool(row[2])) for row in (await session.execute(stmt)).all()]


async def snapshot_payees(session: AsyncSession, ids: Sequence[uuid.UUID]) -> None:
    """Copy each payment's payee from the cache onto the payment (what is sent is what is recorded)."""
    await session.execute(
        update(Payment)
        .where(
            one_of(session, Payment.id, ids),
            Payment.household_id == Payee.household_id,
            Payment.payee_account.is_(None),
        )
        .values(
            payee_name=Payee.account_name,
            payee_bank=Payee.bank_name,
            payee_account=Payee.account_number,
        )
        .execution_options(synchronize_session=False)
    )


async def seal_into_batch(
    session: AsyncSession, batch_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> tuple[int, int]:
    """Put payments that have a payee into the batch; returns its control totals (count, sum)."""
    await session.execute(
        update(Payment)
        .where(one_of(session, Payment.id, ids), Payment.payee_account.is_not(None))
        .values(status="sending", batch_id=batch_id, attempts=Payment.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    row = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(Payment.amount_fen), 0)).where(
                Payment.batch_id == batch_id
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def batch_payments(session: AsyncSession, batch_id: uuid.UUID) -> Sequence[Payment]:
    stmt = select(Payment).where(Payment.batch_id == batch_id).order_by(Payment.id)
    return (await session.execute(stmt)).scalars().all()


async def items_of_batch(session: AsyncSession, batch_id: uuid.UUID) -> list[Any]:
    stmt = (
        select(
            Payment.id,
            Payment.amount_fen,
            Payment.payee_name,
            Payment.payee_account,
            Payment.payee_bank,
        )
        .where(Payment.batch_id == batch_id)
        .order_by(Payment.id)
    )
    return list((await session.execute(stmt)).all())


async def defer(session: AsyncSession, ids: Sequence[uuid.UUID], retry_at: dt.datetime) -> None:
    if ids:
        await session.execute(
            update(Payment)
            .where(one_of(session, Payment.id, ids))
            .values(next_attempt_at=retry_at, attempts=Payment.attempts + 1)
            .execution_options(synchronize_session=False)
        )


async def mark_sending(session: AsyncSession, ids: Sequence[uuid.UUID]) -> None:
    if ids:
        await session.execute(
            update(Payment)
            .where(one_of(session, Payment.id, ids))
            .values(status="sending")
            .execution_options(synchronize_session=False)
        )


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
    session: AsyncSession, batch_id: uuid.UUID, ids: Sequence[uuid.UUID], now: dt.datetime
) -> None:
    """The bank has these: sending → sent. Conditional, so a payment a callback settled stays settled."""
    for start in range(0, len(ids), 5000):
        await session.execute(
            update(Payment)
            .where(
                Payment.batch_id == batch_id,
                Payment.status == "sending",
                one_of(session, Payment.id, ids[start : start + 5000]),
            )
            .values(status="sent", sent_at=now)
            .execution_options(synchronize_session=False)
        )


async def requeue_batch(session: AsyncSession, batch_id: uuid.UUID, retry_at: dt.datetime) -> None:
    await session.execute(
        update(Payment)
        .where(Payment.batch_id == batch_id, Payment.status == "sending")
        .values(status="queued", batch_id=None, next_attempt_at=retry_at)
        .execution_options(synchronize_session=False)
    )


async def cached_payees(session: AsyncSession, household_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these households have a payee in the cache."""
    result = await session.scalars(
        select(Payee.household_id).where(one_of(session, Payee.household_id, household_ids))
    )
    return set(result)


async def forget_payees(session: AsyncSession, household_ids: set[uuid.UUID]) -> None:
    if household_ids:
        await session.execute(delete(Payee).where(one_of(session, Payee.household_id, household_ids)))
