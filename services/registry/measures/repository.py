"""Queries on help measures."""

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.regions import region_filter
from services.registry.models import HelpMeasure, Household


def in_force(on: dt.date | ColumnElement[dt.date]) -> ColumnElement[bool]:
    """The measure runs on that day (a date, or a date column such as each month's last day)."""
    return and_(HelpMeasure.started_on <= on, or_(HelpMeasure.ended_on.is_(None), HelpMeasure.ended_on >= on))


async def of_household(session: AsyncSession, household_id: uuid.UUID) -> Sequence[HelpMeasure]:
    result = await session.execute(
        select(HelpMeasure)
        .where(HelpMeasure.household_id == household_id)
        .order_by(HelpMeasure.started_on, HelpMeasure.created_at)
    )
    return result.scalars().all()


async def get(
    session: AsyncSession, household_id: uuid.UUID, measure_id: uuid.UUID, *, for_update: bool = False
) -> HelpMeasure | None:
    stmt = select(HelpMeasure).where(HelpMeasure.id == measure_id, HelpMeasure.household_id == household_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def short_of_income_measures(
    session: AsyncSession, prefix: str, on: dt.date, required: int
) -> Sequence[tuple[Household, int]]:
    """Registered and exited households with fewer than `required` income measures in force on `on`."""
    counts = (
        select(HelpMeasure.household_id, func.count().label("measures"))
        .where(HelpMeasure.raises_income.is_(True), in_force(on))
        .group_by(HelpMeasure.household_id)
        .subquery()
    )
    measures = func.coalesce(counts.c.measures, 0)
    result = await session.execute(
        select(Household, measures)
        .outerjoin(counts, counts.c.household_id == Household.id)
        .where(
            region_filter(Household.village_code, (prefix,)),
            Household.status.in_(("registered", "exited")),
            measures < required,
        )
        .order_by(Household.village_code, Household.head_name)
    )
    return [(row[0], int(row[1])) for row in result.all()]
