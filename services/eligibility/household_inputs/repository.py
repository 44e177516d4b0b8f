"""Queries on the household projection."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility.models import HouseholdInput


async def get(session: AsyncSession, household_id: uuid.UUID) -> HouseholdInput | None:
    return await session.get(HouseholdInput, household_id)
