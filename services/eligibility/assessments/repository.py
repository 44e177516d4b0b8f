"""Queries on assessments."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility.models import Assessment
from services.kit.regions import region_filter


async def find(
    session: AsyncSession, household_id: uuid.UUID, household_version: int, policy_id: uuid.UUID
) -> Assessment | None:
    result = await session.execute(
        select(Assessment).where(
            Assessment.household_id == household_id,
            Assessment.household_version == household_version,
            Assessment.policy_id == policy_id,
        )
    )
    return result.scalar_one_or_none()


async def latest_for_household(
    session: AsyncSession, household_id: uuid.UUID, prefixes: tuple[str, ...]
) -> Assessment | None:
    result = await session.execute(
        select(Assessment)
        .where(Assessment.household_id == household_id, region_filter(Assessment.village_code, prefixes))
        .order_by(Assessment.assessed_at.desc(), Assessment.household_version.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()
