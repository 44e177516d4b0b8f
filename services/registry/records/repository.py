"""Queries of the household card and the village roster.

The roster reads only the columns it shows, joined by village (no list of 500 ids to send), so a
village of 500 households is four short queries.
"""

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.measures.repository import in_force
from services.registry.models import Case, Helper, HelpMeasure, Household, Member, Pairing

ROSTER_STATUSES = ("registered", "exited")


def _on_roster(village_code: str) -> Any:
    return and_(Household.village_code == village_code, Household.status.in_(ROSTER_STATUSES))


async def roster_households(session: AsyncSession, village_code: str) -> Sequence[Row[*tuple[Any, ...]]]:
    result = await session.execute(
        select(
            Household.id,
            Household.head_name,
            Household.group_name,
            Household.member_count,
            Household.category,
            Household.poverty_degree,
            Household.main_cause,
            Household.per_capita_net_income_fen,
            Household.status,
            Household.registered_on,
            Household.exit_year,
        )
        .where(_on_roster(village_code))
        .order_by(Household.group_name, Household.head_name, Household.id)
    )
    return result.all()


async def roster_members(
    session: AsyncSession, village_code: str
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
        .where(_on_roster(village_code), Member.active.is_(True))
        .order_by(Member.household_id, Member.relation != "head", Member.birth_date)
    )
    grouped: dict[uuid.UUID, list[Row[*tuple[Any, ...]]]] = {}
    for row in result.all():
        grouped.setdefault(row.household_id, []).append(row)
    return grouped


async def roster_helpers(session: AsyncSession, village_code: str) -> dict[uuid.UUID, str]:
    result = await session.execute(
        select(Pairing.household_id, Helper.name)
        .join(Helper, Helper.id == Pairing.helper_id)
        .where(Pairing.village_code == village_code, Pairing.active.is_(True))
    )
    return {row[0]: row[1] for row in result.all()}


async def roster_income_measures(
    session: AsyncSession, village_code: str, on: dt.date
) -> dict[uuid.UUID, int]:
    result = await session.execute(
        select(HelpMeasure.household_id, func.count())
        .where(
            HelpMeasure.village_code == village_code,
            HelpMeasure.raises_income.is_(True),
            in_force(on),
        )
        .group_by(HelpMeasure.household_id)
    )
    return {row[0]: int(row[1]) for row in result.all()}


async def cases_of(session: AsyncSession, household_id: uuid.UUID) -> Sequence[Case]:
    result = await session.execute(
        select(Case).where(Case.household_id == household_id).order_by(Case.opened_at, Case.id)
    )
    return result.scalars().all()
