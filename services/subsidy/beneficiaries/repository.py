"""Queries on the beneficiary projection."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidy.models import Beneficiary


async def get(session: AsyncSession, household_id: uuid.UUID) -> Beneficiary | None:
    return await session.get(Beneficiary, household_id)
