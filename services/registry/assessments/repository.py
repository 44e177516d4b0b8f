"""Queries on the assessment projection (the latest outcome per household, from the eligibility feed)."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import AssessmentView


async def get(session: AsyncSession, household_id: uuid.UUID) -> AssessmentView | None:
    return await session.get(AssessmentView, household_id)


async def many(session: AsyncSession, household_ids: list[uuid.UUID]) -> dict[uuid.UUID, AssessmentView]:
    result = await session.execute(
        select(AssessmentView).where(AssessmentView.household_id.in_(household_ids))
    )
    return {view.household_id: view for view in result.scalars().all()}
