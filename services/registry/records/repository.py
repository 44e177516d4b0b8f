"""Queries of the household card and the roster, book and archive (村有册、乡有簿、县有档).

The roster reads only the columns it shows, for a village, a township or a county by code range, with
the head's ID number, the helper and the income measures joined in: a village of 500 households is two
short queries, and a county of 100 k households is one query read in chunks.
"""

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.regions import region_filter, region_prefix
from services.registry.measures.repository import in_force
from services.registry.models import Case, Helper, HelpMeasure, Household, Member, Pairing

ROSTER_STATUSES = ("registered", "exited")
CHUNK_ROWS = 2000


def _on_roster(region_code: str) -> ColumnElement[bool]:
    return and_(
        region_filter(Household.village_code, (region_prefix(region_code),)),
        Household.status.in_(ROSTER_STATUSES),
    )


def _roster_query(region_code: str, on: dt.date) -> Select[*tuple[Any, ...]]:
    """One row per household on the roster: its columns, the head's masked ID, helper, income measures."""
    measures = (
        select(HelpMeasure.household_id, func.count().label("measures"))
        .where(
            region_filter(HelpMeasure.village_code, (region_prefix(region_code),)),
            HelpMeasure.raises_income.is_(True),
            in_force(on),
        )
        .group_by(HelpMeasure.household_id)
        .subquery()
    )
    # Joined as a grouped subquery, not a subquery per row: 100 k lookups made PostgreSQL plan a cost
    # high enough to JIT-compile the query, which took longer than running it. min(): two heads is a
    # data-quality finding, not a reason to list a household twice.
    heads = (
        select(Member.household_id, func.min(Member.id_number_masked).label("id_number_masked"))
        .join(Household, Household.id == Member.household_id)
        .where(_on_roster(region_code), Member.relation == "head", Member.active.is_(True))
        .group_by(Member.household_id)
        .subquery()
    )
    return (
        select(
            Household.id,
            Household.village_code,
            Household.head_name,
            Household.group_name,
            Household.member_count,
            Household.category,
            Household.poverty_degree,
            Household.main_cause,
            Household.secondary_causes,
            Household.per_capita_net_income_fen,
            Household.status,
            Household.registered_on,
            Household.exit_year,
            func.coalesce(heads.c.id_number_masked, "").label("head_id_masked"),
            Helper.name.label("helper_name"),
            func.coalesce(measures.c.measures, 0).label("income_measures"),
        )
        .outerjoin(Pairing, and_(Pairing.household_id == Household.id, Pairing.active.is_(True)))
        .outerjoin(Helper, Helper.id == Pairing.helper_id)
        .outerjoin(measures, measures.c.household_id == Household.id)
        .outerjoin(heads, heads.c.household_id == Household.id)
        .where(_on_roster(region_code))
        .order_by(Household.village_code, Household.group_name, Household.head_name, Household.id)
    )


async def roster_households(
    session: AsyncSession, region_code: str, on: dt.date
) -> Sequence[Row[*tuple[Any, ...]]]:
    return (await session.execute(_roster_query(region_code, on))).all()


async def stream_roster_households(
    session: AsyncSession, region_code: str, on: dt.date
) -> AsyncIterator[Row[*tuple[Any, ...]]]:
    """The roster's rows read in chunks (a server-side cursor on PostgreSQL), never all in memory."""
    if session.get_bind().dialect.name == "postgresql":
        # A cursor is planned for its first rows by default (nested loops: 2-3 times slower for all of them).
        await session.execute(text("SET LOCAL cursor_tuple_fraction = 1.0"))
    result = await session.stream(_roster_query(region_code, on).execution_options(yield_per=CHUNK_ROWS))
    async for row in result:
        yield row


async def roster_members(
    session: AsyncSession, region_code: str
) -> dict[uuid.UUID, list[Row[*tuple[Any, ...]]]]:
    result = await session.execute(
        select(
            Member.household_id,
            Member.name,
            Member.relation,
            Member.sex,
            Member.id_number_masked,
            Member.birth_date,
            Member.labour_capacity,
            Member.health,
            Member.schooling_stage,
        )
        .join(Household, Household.id == Member.household_id)
        .where(_on_roster(region_code), Member.active.is_(True))
        .order_by(Member.household_id, Member.relation != "head", Member.birth_date)
    )
    grouped: dict[uuid.UUID, list[Row[*tuple[Any, ...]]]] = {}
    for row in result.all():
        grouped.setdefault(row.household_id, []).append(row)
    return grouped


async def roster_counts(session: AsyncSession, region_code: str) -> Sequence[Row[*tuple[Any, ...]]]:
    """Households and people on the roster per village and status."""
    result = await session.execute(
        select(
            Household.village_code,
            Household.status,
            func.count().label("households"),
            func.coalesce(func.sum(Household.member_count), 0).label("members"),
        )
        .where(_on_roster(region_code))
        .group_by(Household.village_code, Household.status)
        .order_by(Household.village_code)
    )
    return result.all()


async def cases_of(session: AsyncSession, household_id: uuid.UUID) -> Sequence[Case]:
    result = await session.execute(
        select(Case).where(Case.household_id == household_id).order_by(Case.opened_at, Case.id)
    )
    return result.scalars().all()
