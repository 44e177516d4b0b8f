"""Queries on households, members and their history, always within the caller's regions."""

import datetime as dt
import functools
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.kit.database import in_list
from services.kit.regions import region_filter
from services.registry.models import DuplicateFlag, Household, HouseholdStatusChange, HouseholdVersion, Member

other_member = aliased(Member, name="other_member")
other_household = aliased(Household, name="other_household")


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


@functools.cache
def _member_households_statement(dialect: str) -> Select[str, uuid.UUID, str]:
    return (
        select(Member.id_number_index, Member.household_id, Household.village_code)
        .join(Household, Household.id == Member.household_id)
        .where(in_list(Member.id_number_index, dialect, "indexes"), Member.active.is_(True))
    )


async def active_member_households(
    session: AsyncSession, id_number_indexes: list[str]
) -> Sequence[tuple[str, uuid.UUID, str]]:
    """(blind index, household id, village code) of active members holding these ID numbers."""
    statement = _member_households_statement(session.get_bind().dialect.name)
    result = await session.execute(statement, {"indexes": list(id_number_indexes)})
    return [(row[0], row[1], row[2]) for row in result.all()]


@functools.cache
def _active_indexes_statement(dialect: str) -> Select[str]:
    return select(Member.id_number_index).where(
        in_list(Member.id_number_index, dialect, "indexes"), Member.active.is_(True)
    )


async def active_indexes(session: AsyncSession, id_number_indexes: list[str]) -> set[str]:
    """Which of these blind indexes an active member holds (one table: a batch's hundreds stay cheap)."""
    statement = _active_indexes_statement(session.get_bind().dialect.name)
    return set((await session.execute(statement, {"indexes": id_number_indexes})).scalars())


async def active_member_by_index(
    session: AsyncSession, id_number_index: str, prefixes: tuple[str, ...]
) -> Row[*tuple[Any, ...]] | None:
    """The active member with this blind index, with its household's village and status (columns only)."""
    result = await session.execute(
        select(
            Member.id,
            Member.household_id,
            Member.name,
            Member.id_number_masked,
            Member.relation,
            Household.village_code,
            Household.status,
        )
        .join(Household, Household.id == Member.household_id)
        .where(
            Member.id_number_index == id_number_index,
            Member.active.is_(True),
            region_filter(Household.village_code, prefixes),
        )
    )
    return result.first()


async def get_version(
    session: AsyncSession, household_id: uuid.UUID, version: int
) -> HouseholdVersion | None:
    return await session.get(HouseholdVersion, (household_id, version))


async def versions(session: AsyncSession, household_id: uuid.UUID) -> Sequence[HouseholdVersion]:
    result = await session.execute(
        select(HouseholdVersion)
        .where(HouseholdVersion.household_id == household_id)
        .order_by(HouseholdVersion.version)
    )
    return result.scalars().all()


async def version_before(
    session: AsyncSession, household_id: uuid.UUID, instant: dt.datetime
) -> HouseholdVersion | None:
    result = await session.execute(
        select(HouseholdVersion)
        .where(HouseholdVersion.household_id == household_id, HouseholdVersion.recorded_at < instant)
        .order_by(HouseholdVersion.version.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def status_changes(session: AsyncSession, household_id: uuid.UUID) -> Sequence[HouseholdStatusChange]:
    result = await session.execute(
        select(HouseholdStatusChange)
        .where(HouseholdStatusChange.household_id == household_id)
        .order_by(HouseholdStatusChange.changed_at, HouseholdStatusChange.household_version)
    )
    return result.scalars().all()


@functools.cache
def _namesakes_statement(dialect: str) -> Select[uuid.UUID, uuid.UUID, str, uuid.UUID, uuid.UUID]:
    # Built once per dialect: this query runs on every survey, and building it cost more than running it.
    county = func.substr(Household.village_code, 1, 6)
    flagged = select(DuplicateFlag.id).where(
        or_(
            and_(DuplicateFlag.member_id == Member.id, DuplicateFlag.other_member_id == other_member.id),
            and_(DuplicateFlag.member_id == other_member.id, DuplicateFlag.other_member_id == Member.id),
        )
    )
    return (
        select(
            Member.id, Member.household_id, Household.village_code, other_member.id, other_member.household_id
        )
        .join(Household, Household.id == Member.household_id)
        .join(
            other_member,
            and_(
                other_member.birth_date == Member.birth_date,
                other_member.name == Member.name,
                other_member.household_id != Member.household_id,
                other_member.active.is_(True),
            ),
        )
        .join(other_household, other_household.id == other_member.household_id)
        .where(
            in_list(Member.household_id, dialect, "household_ids"),
            Member.active.is_(True),
            func.substr(other_household.village_code, 1, 6) == county,
            ~exists(flagged),
        )
        .order_by(Member.id, other_member.id)
    )


async def unflagged_namesakes(
    session: AsyncSession, household_ids: Sequence[uuid.UUID]
) -> Sequence[tuple[uuid.UUID, uuid.UUID, str, uuid.UUID, uuid.UUID]]:
    """(member, household, village, other member, other household): active members of these households
    with the name and birth date of an active member of another household in the same county, where
    the pair is not flagged yet (either way round)."""
    if not household_ids:
        return []
    statement = _namesakes_statement(session.get_bind().dialect.name)
    result = await session.execute(statement, {"household_ids": list(household_ids)})
    return [(row[0], row[1], row[2], row[3], row[4]) for row in result.all()]
