"""Queries on households and members, always within the caller's regions."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.regions import region_filter
from services.registry.models import Household, Member


async def get_household(
    session: AsyncSession, household_id: uuid.UUID, prefixes: tuple[str, ...], *, for_update: bool = False
) -> Household | None:
    stmt = select(Household).where(
        Household.id == household_id, region_filter(Household.village_code, prefixes)
    )
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def active_members(session: AsyncSession, household_id: uuid.UUID) -> Sequence[Member]:
    result = await session.execute(
        select(Member)
        .where(Member.household_id == household_id, Member.active.is_(True))
        .order_by(Member.relation != "head", Member.birth_date)
    )
    return result.scalars().all()


async def active_member_households(
    session: AsyncSession, id_number_indexes: list[str]
) -> Sequence[tuple[str, uuid.UUID, str]]:
    """(blind index, household id, village code) of active members holding these ID numbers."""
    result = await session.execute(
        select(Member.id_number_index, Member.household_id, Household.village_code)
        .join(Household, Household.id == Member.household_id)
        .where(Member.id_number_index.in_(id_number_indexes), Member.active.is_(True))
    )
    return [(row[0], row[1], row[2]) for row in result.all()]
