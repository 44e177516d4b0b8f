"""Queries on payments."""

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.regions import region_filter
from services.subsidy.models import Payment


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


async def claim_due(
    session: AsyncSession, now: dt.datetime, limit: int, skip_locked: bool
) -> Sequence[Payment]:
    """Payments waiting to be (re)sent whose time has come, locked for this dispatcher."""
    stmt = (
        select(Payment)
        .where(or_(Payment.status == "queued", Payment.status == "sending"), Payment.next_attempt_at <= now)
        .order_by(Payment.next_attempt_at)
        .limit(limit)
    )
    if skip_locked:
        stmt = stmt.with_for_update(skip_locked=True)
    return (await session.execute(stmt)).scalars().all()
