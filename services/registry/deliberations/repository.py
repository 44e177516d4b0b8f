"""Queries on deliberation records."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.regions import region_filter
from services.registry.models import Deliberation


async def get(
    session: AsyncSession, deliberation_id: uuid.UUID, prefixes: tuple[str, ...]
) -> Deliberation | None:
    result = await session.execute(
        select(Deliberation).where(
            Deliberation.id == deliberation_id, region_filter(Deliberation.village_code, prefixes)
        )
    )
    return result.scalar_one_or_none()
