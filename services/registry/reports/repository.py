"""Queries of the monthly report: households by status and creation month, status changes, visits and
income measures by month, each one pass over the region (not one query per month).
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Date, Row, case, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from services.kit.regions import region_filter
from services.registry.measures.repository import in_force
from services.registry.models import HelpMeasure, Household, HouseholdStatusChange, Visit

HELPED = ("registered", "exited")


def _bucket(
    instant: QueryableAttribute[dt.datetime] | QueryableAttribute[dt.date],
    bounds: Sequence[dt.datetime] | Sequence[dt.date],
) -> ColumnElement[int]:
    """How many of the ascending `bounds` are at or before the value (0: before the first)."""
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


async def helped_by_creation(
    session: AsyncSession, prefix: str, bounds: Sequence[dt.datetime]
) -> dict[int, int]:
    """Households registered or exited now, by the bucket of `bounds` they were created in."""
    created = _bucket(Household.created_at, bounds).label("created")
    result = await session.execute(
        select(created, func.count())
        .where(region_filter(Household.village_code, (prefix,)), Household.status.in_(HELPED))
        .group_by(created)
    )
    return {int(row[0]): int(row[1]) for row in result.all()}


def _at_least(
    count: ColumnElement[int], month: ColumnElement[int], required: Sequence[int]
) -> ColumnElement[bool]:
    """`count` reaches the month's required number (months numbered from 1)."""
    return count >= case(*((month == position, value) for position, value in enumerate(required, start=1)))


async def visited_enough(
    session: AsyncSession, prefix: str, month_starts: Sequence[dt.date], required: Sequence[int]
) -> dict[int, int]:
    """Per month (1 to 12; `month_starts` has the 13th): helped households visited at least as required."""
    month = (_bucket(Visit.visited_on, month_starts[1:-1]) + 1).label("month")
    per_month = (
        select(Visit.household_id, month, func.count().label("visits"))
        .join(Household, Household.id == Visit.household_id)
        .where(
            region_filter(Household.village_code, (prefix,)),
            Household.status.in_(HELPED),
            Visit.visited_on >= month_starts[0],
            Visit.visited_on < month_starts[-1],
        )
        .group_by(Visit.household_id, month)
        .subquery()
    )
    result = await session.execute(
        select(per_month.c.month, func.count())
        .where(_at_least(per_month.c.visits, per_month.c.month, required))
        .group_by(per_month.c.month)
    )
    return {int(row[0]): int(row[1]) for row in result.all()}


async def measured_enough(
    session: AsyncSession, prefix: str, days: Sequence[dt.date], required: Sequence[int]
) -> dict[int, int]:
    """Per month (1 to 12): helped households with as many income measures in force on its day as required."""
    calendar = union_all(
        *(
            select(literal(position).label("month"), literal(day, Date).label("day"))
            for position, day in enumerate(days, start=1)
        )
    ).subquery()
    per_month = (
        select(HelpMeasure.household_id, calendar.c.month, func.count().label("measures"))
        .join(calendar, in_force(calendar.c.day))
        .join(Household, Household.id == HelpMeasure.household_id)
        .where(
            region_filter(Household.village_code, (prefix,)),
            Household.status.in_(HELPED),
            HelpMeasure.raises_income.is_(True),
        )
        .group_by(HelpMeasure.household_id, calendar.c.month)
        .subquery()
    )
    result = await session.execute(
        select(per_month.c.month, func.count())
        .where(_at_least(per_month.c.measures, per_month.c.month, required))
        .group_by(per_month.c.month)
    )
    return {int(row[0]): int(row[1]) for row in result.all()}
