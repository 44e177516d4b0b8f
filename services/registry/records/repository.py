"""Queries of the household card and the village roster."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import Case, Household, Member

ROSTER_STATUSES = ("registered", "exited")


async def roster_households(session: AsyncSession, village_code: str) -> Sequence[Household]:
    result = await session.execute(
        select(Household)
        .where(Household.village_code == village_code, Household.status.in_(ROSTER_STATUSES))
        .order_by(Household.group_name, Household.head_name, Household.id)
    )
    return result.scalars().all()


async def members_of(session: AsyncSession, household_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Member]]:
    grouped: dict[uuid.UUID, list[Member]] = {household_id: [] for household_id in household_ids}
    if not household_ids:
        return grouped
    result = await session.execute(
        select(Member)
        .where(Member.household_id.in_(household_ids), Member.active.is_(True))
        .order_by(Member.household_id, Member.relation != "head", Member.birth_date)
    )
    for member in result.scalars().all():
        grouped[member.household_id].append(member)
    return grouped


async def cases_of(session: AsyncSession, household_id: uuid.UUID) -> Sequence[Case]:
    result = await session.execute(
        select(Case).where(Case.household_id == household_id).order_by(Case.opened_at, Case.id)
    )
    return result.scalars().all()
