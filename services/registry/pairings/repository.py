"""Queries on helper cadres, pairings and visits."""

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.regions import region_filter
from services.registry.models import Helper, Household, Pairing, Visit


async def helper(
    session: AsyncSession, helper_id: uuid.UUID, prefixes: tuple[str, ...], *, for_update: bool = False
) -> Helper | None:
    stmt = select(Helper).where(Helper.id == helper_id, region_filter(Helper.region_code, prefixes))
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def helpers(session: AsyncSession, prefixes: tuple[str, ...], limit: int) -> Sequence[Helper]:
    result = await session.execute(
        select(Helper).where(region_filter(Helper.region_code, prefixes)).order_by(Helper.name).limit(limit)
    )
    return result.scalars().all()


async def paired_counts(session: AsyncSession, helper_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    result = await session.execute(
        select(Pairing.helper_id, func.count())
        .where(Pairing.helper_id.in_(helper_ids), Pairing.active.is_(True))
        .group_by(Pairing.helper_id)
    )
    return {row[0]: int(row[1]) for row in result.all()}


async def pairing(
    session: AsyncSession, pairing_id: uuid.UUID, prefixes: tuple[str, ...], *, for_update: bool = False
) -> Pairing | None:
    stmt = select(Pairing).where(Pairing.id == pairing_id, region_filter(Pairing.village_code, prefixes))
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def active_pairing(session: AsyncSession, household_id: uuid.UUID) -> Pairing | None:
    result = await session.execute(
        select(Pairing).where(Pairing.household_id == household_id, Pairing.active.is_(True))
    )
    return result.scalar_one_or_none()


async def active_helpers(session: AsyncSession, household_ids: list[uuid.UUID]) -> dict[uuid.UUID, Helper]:
    result = await session.execute(
        select(Pairing.household_id, Helper)
        .join(Helper, Helper.id == Pairing.helper_id)
        .where(Pairing.household_id.in_(household_ids), Pairing.active.is_(True))
    )
    return {row[0]: row[1] for row in result.all()}


async def visits(session: AsyncSession, household_id: uuid.UUID, limit: int) -> Sequence[Visit]:
    result = await session.execute(
        select(Visit)
        .where(Visit.household_id == household_id)
        .order_by(Visit.visited_on.desc(), Visit.recorded_at.desc())
        .limit(limit)
    )
    return result.scalars().all()


async def under_visited(
    session: AsyncSession, prefixes: tuple[str, ...], first_day: dt.date, last_day: dt.date, required: int
) -> Sequence[tuple[Household, int, Helper | None]]:
    """Registered and exited households with fewer than `required` visits in [first_day, last_day]."""
    counts = (
        select(Visit.household_id, func.count().label("visits"))
        .where(Visit.visited_on.between(first_day, last_day))
        .group_by(Visit.household_id)
        .subquery()
    )
    visits_made = func.coalesce(counts.c.visits, 0)
    result = await session.execute(
        select(Household, visits_made, Helper)
        .outerjoin(counts, counts.c.household_id == Household.id)
        .outerjoin(Pairing, and_(Pairing.household_id == Household.id, Pairing.active.is_(True)))
        .outerjoin(Helper, Helper.id == Pairing.helper_id)
        .where(
            region_filter(Household.village_code, prefixes),
            Household.status.in_(("registered", "exited")),
            visits_made < required,
        )
        .order_by(Household.village_code, Household.head_name)
    )
    return [(row[0], int(row[1]), row[2]) for row in result.all()]
