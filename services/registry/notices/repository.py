"""Queries on public notices, their entries and objections."""

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.regions import region_filter
from services.registry.models import Division, NoticeEntry, Objection, PublicNotice


async def get(
    session: AsyncSession, notice_id: uuid.UUID, prefixes: tuple[str, ...], *, for_update: bool = False
) -> PublicNotice | None:
    stmt = select(PublicNotice).where(
        PublicNotice.id == notice_id, region_filter(PublicNotice.village_code, prefixes)
    )
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def entries(session: AsyncSession, notice_id: uuid.UUID) -> Sequence[NoticeEntry]:
    result = await session.execute(
        select(NoticeEntry).where(NoticeEntry.notice_id == notice_id).order_by(NoticeEntry.position)
    )
    return result.scalars().all()


async def objections(session: AsyncSession, notice_id: uuid.UUID) -> Sequence[Objection]:
    result = await session.execute(
        select(Objection).where(Objection.notice_id == notice_id).order_by(Objection.lodged_at, Objection.id)
    )
    return result.scalars().all()


async def objection(
    session: AsyncSession, notice_id: uuid.UUID, objection_id: uuid.UUID, *, for_update: bool = False
) -> Objection | None:
    stmt = select(Objection).where(Objection.id == objection_id, Objection.notice_id == notice_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def open_objections(session: AsyncSession, notice_id: uuid.UUID) -> int:
    result = await session.execute(
        select(func.count()).where(Objection.notice_id == notice_id, Objection.status == "open")
    )
    return int(result.scalar_one())


async def listing(
    session: AsyncSession, prefixes: tuple[str, ...], village_code: str | None, status: str | None, limit: int
) -> Sequence[PublicNotice]:
    stmt = select(PublicNotice).where(region_filter(PublicNotice.village_code, prefixes))
    if village_code is not None:
        stmt = stmt.where(PublicNotice.village_code == village_code)
    if status is not None:
        stmt = stmt.where(PublicNotice.status == status)
    result = await session.execute(stmt.order_by(PublicNotice.posted_at.desc()).limit(limit))
    return result.scalars().all()


async def division_name(session: AsyncSession, code: str) -> str | None:
    division = await session.get(Division, code)
    return division.name if division else None
