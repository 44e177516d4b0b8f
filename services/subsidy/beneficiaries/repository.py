"""Queries on the beneficiary and household-status projections."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidy.models import Beneficiary, HouseholdStatus


async def get(session: AsyncSession, household_id: uuid.UUID) -> Beneficiary | None:
    return await session.get(Beneficiary, household_id)


async def get_status(session: AsyncSession, household_id: uuid.UUID) -> HouseholdStatus | None:
    return await session.get(HouseholdStatus, household_id)
