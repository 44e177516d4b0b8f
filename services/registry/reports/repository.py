"""Queries of the monthly report: households by status and creation month, status changes by month."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from services.kit.regions import region_filter
from services.registry.models import Household, HouseholdStatusChange


def _bucket(instant: QueryableAttribute[dt.datetime], bounds: Sequence[dt.datetime]) -> ColumnElement[int]:
    """How many of the ascending `bounds` are at or before the instant (0: before the first)."""
    return case(*((instant < bound, position) for position, bound in enumerate(bounds)), else_=len(bounds))


async def households_by_status(
    session: AsyncSession, prefix: str, bounds: Sequence[dt.datetime]
) -> Sequence[Row[*tuple[Any, ...]]]:
    """Households by their current status and by the bucket of `bounds` they were created in."""
    created = _bucket(Household.created_at, bounds).label("created")
    result = await session.execute(
        select(Household.status, created, func.count().label("households"))
        .where(region_filter(Household.village_code, (prefix,)))
        .group_by(Household.status, created)
    )
    return result.all()


async def status_changes(
    session: AsyncSession, prefix: str, bounds: Sequence[dt.datetime]
) -> Sequence[Row[*tuple[Any, ...]]]:
    """Status changes from the first bound on, by from and to status, their bucket and the household's."""
    changed = _bucket(HouseholdStatusChange.changed_at, bounds).label("changed")
    created = _bucket(Household.created_at, bounds).label("created")
    result = await session.execute(
        select(
            HouseholdStatusChange.from_status,
            HouseholdStatusChange.to_status,
            changed,
            created,
            func.count().label("households"),
        )
        .join(Household, Household.id == HouseholdStatusChange.household_id)
        .where(
            region_filter(Household.village_code, (prefix,)),
            HouseholdStatusChange.changed_at >= bounds[0],
        )
        .group_by(HouseholdStatusChange.from_status, HouseholdStatusChange.to_status, changed, created)
    )
    return result.all()


async def households_by_category(session: AsyncSession, prefix: str) -> Sequence[Row[*tuple[Any, ...]]]:
    result = await session.execute(
        select(Household.status, Household.category, func.count().label("households"))
        .where(region_filter(Household.village_code, (prefix,)))
        .group_by(Household.status, Household.category)
    )
    return result.all()
