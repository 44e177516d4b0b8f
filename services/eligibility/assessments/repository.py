"""Queries on assessments and on each household's current one."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility.models import Assessment, CurrentAssessment
from services.kit.regions import region_filter


async def current(session: AsyncSession, household_id: uuid.UUID) -> CurrentAssessment | None:
    return await session.get(CurrentAssessment, household_id)


async def get(
    session: AsyncSession, assessment_id: uuid.UUID, prefixes: tuple[str, ...]
) -> Assessment | None:
    result = await session.execute(
        select(Assessment).where(
            Assessment.id == assessment_id, region_filter(Assessment.village_code, prefixes)
        )
    )
    return result.scalar_one_or_none()


async def latest_for_household(
    session: AsyncSession, household_id: uuid.UUID, prefixes: tuple[str, ...]
) -> Assessment | None:
    result = await session.execute(
        select(Assessment)
        .join(CurrentAssessment, CurrentAssessment.assessment_id == Assessment.id)
        .where(
            CurrentAssessment.household_id == household_id, region_filter(Assessment.village_code, prefixes)
        )
    )
    return result.scalar_one_or_none()


async def history(
    session: AsyncSession, household_id: uuid.UUID, prefixes: tuple[str, ...], limit: int
) -> Sequence[Assessment]:
    result = await session.execute(
        select(Assessment)
        .where(Assessment.household_id == household_id, region_filter(Assessment.village_code, prefixes))
        .order_by(Assessment.assessed_at.desc(), Assessment.id.desc())
        .limit(limit)
    )
    return result.scalars().all()
