"""Queries behind a phone's sync: assignment entries and tombstones after a cursor, households in bulk."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.regions import region_filter
from services.registry.models import AssignmentEntry, AssignmentTombstone, ConsumerCursor, Household, Member


async def position(session: AsyncSession, feed: str) -> int:
    cursor = await session.get(ConsumerCursor, feed)
    return cursor.position if cursor else 0


async def entry(session: AsyncSession, household_id: uuid.UUID) -> AssignmentEntry | None:
    return await session.get(AssignmentEntry, household_id)


async def entries(
    session: AsyncSession, prefixes: tuple[str, ...], after: int, upto: int, limit: int, *, with_removed: bool
) -> Sequence[AssignmentEntry]:
    stmt = select(AssignmentEntry).where(
        region_filter(AssignmentEntry.village_code, prefixes),
        AssignmentEntry.sequence > after,
        AssignmentEntry.sequence <= upto,
    )
    if not with_removed:
        stmt = stmt.where(AssignmentEntry.removed.is_(False))
    return (await session.execute(stmt.order_by(AssignmentEntry.sequence).limit(limit))).scalars().all()


async def tombstones(
    session: AsyncSession, prefixes: tuple[str, ...], after: int, upto: int, limit: int
) -> Sequence[AssignmentTombstone]:
    result = await session.execute(
        select(AssignmentTombstone)
        .where(
            region_filter(AssignmentTombstone.village_code, prefixes),
            AssignmentTombstone.sequence > after,
            AssignmentTombstone.sequence <= upto,
        )
        .order_by(AssignmentTombstone.sequence)
        .limit(limit)
    )
    return result.scalars().all()


async def households_with_members(
    session: AsyncSession, household_ids: list[uuid.UUID]
) -> tuple[Sequence[Household], dict[uuid.UUID, list[Member]]]:
    if not household_ids:
        return [], {}
    households = (
        (await session.execute(select(Household).where(Household.id.in_(household_ids)))).scalars().all()
    )
    members: dict[uuid.UUID, list[Member]] = {}
    rows = await session.execute(
        select(Member)
        .where(Member.household_id.in_(household_ids), Member.active.is_(True))
        .order_by(Member.household_id, Member.relation != "head", Member.birth_date)
    )
    for member in rows.scalars():
        members.setdefault(member.household_id, []).append(member)
    return households, members
