"""Queries on likely-duplicate flags."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.regions import region_filter
from services.registry.models import DuplicateFlag


async def listing(
    session: AsyncSession, prefixes: tuple[str, ...], status: str | None
) -> Sequence[DuplicateFlag]:
    stmt = select(DuplicateFlag).where(region_filter(DuplicateFlag.county_code, prefixes))
    if status is not None:
        stmt = stmt.where(DuplicateFlag.status == status)
    return (await session.execute(stmt.order_by(DuplicateFlag.raised_at))).scalars().all()


async def get(session: AsyncSession, flag_id: uuid.UUID, prefixes: tuple[str, ...]) -> DuplicateFlag | None:
    result = await session.execute(
        select(DuplicateFlag)
        .where(DuplicateFlag.id == flag_id, region_filter(DuplicateFlag.county_code, prefixes))
        .with_for_update()
    )
    return result.scalar_one_or_none()
