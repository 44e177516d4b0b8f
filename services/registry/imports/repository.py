"""Queries of the household import: what an earlier import wrote, and bulk inserts."""

import uuid
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import Base, HouseholdVersion


async def first_snapshots(session: AsyncSession, household_ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """The file at version 1 of those of these households that exist (as an earlier import wrote it)."""
    if not household_ids:
        return {}
    result = await session.execute(
        select(HouseholdVersion.household_id, HouseholdVersion.snapshot).where(
            HouseholdVersion.household_id.in_(household_ids), HouseholdVersion.version == 1
        )
    )
    return {row[0]: row[1] for row in result.all()}


async def insert_rows(session: AsyncSession, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """One bulk INSERT of `rows` (every row with the same columns)."""
    if rows:
        await session.execute(insert(model.__table__), rows)  # type: ignore[arg-type]
