"""Queries on the household projection and the input snapshots."""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility.models import HouseholdInput, InputSnapshot


async def get(session: AsyncSession, household_id: uuid.UUID) -> HouseholdInput | None:
    return await session.get(HouseholdInput, household_id)


async def snapshot(session: AsyncSession, inputs_hash: str) -> InputSnapshot | None:
    return await session.get(InputSnapshot, inputs_hash)


async def keep_snapshot(session: AsyncSession, inputs_hash: str, facts: dict[str, Any]) -> None:
    """Store an input once per distinct content (its hash is its key)."""
    if await session.get(InputSnapshot, inputs_hash) is None:
        session.add(InputSnapshot(inputs_hash=inputs_hash, facts=facts))
