"""Queries on applications."""

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.regions import region_filter
from services.subsidy.models import Application


async def get(
    session: AsyncSession, application_id: uuid.UUID, prefixes: tuple[str, ...], *, for_update: bool = False
) -> Application | None:
    stmt = select(Application).where(
        Application.id == application_id, region_filter(Application.village_code, prefixes)
    )
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def by_idempotency_key(session: AsyncSession, key: str) -> Application | None:
    return (
        await session.execute(select(Application).where(Application.idempotency_key == key))
    ).scalar_one_or_none()


async def list_applications(
    session: AsyncSession, prefixes: tuple[str, ...], status: str | None, limit: int
) -> Sequence[Application]:
    stmt = select(Application).where(region_filter(Application.village_code, prefixes))
    if status is not None:
        stmt = stmt.where(Application.status == status)
    return (await session.execute(stmt.order_by(Application.created_at.desc()).limit(limit))).scalars().all()


async def overdue(session: AsyncSession, prefixes: tuple[str, ...], as_of: dt.date) -> Sequence[Application]:
    """Applications with a check, or the final payment, past its deadline."""
    stmt = select(Application).where(
        region_filter(Application.village_code, prefixes),
        or_(
            and_(Application.status == "acceptance_requested", Application.village_check_due < as_of),
            and_(Application.status == "village_checked", Application.township_check_due < as_of),
            and_(Application.status == "accepted", Application.final_payment_due < as_of),
        ),
    )
    return (await session.execute(stmt.order_by(Application.village_code))).scalars().all()
