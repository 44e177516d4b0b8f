"""Queries on policy versions."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility.models import Policy


async def get_by_code_version(session: AsyncSession, code: str, version: int) -> Policy | None:
    result = await session.execute(
        select(Policy).where(Policy.code == code, Policy.policy_version == version)
    )
    return result.scalar_one_or_none()


async def published(session: AsyncSession) -> Sequence[Policy]:
    result = await session.execute(
        select(Policy).where(Policy.status == "published").order_by(Policy.code, Policy.policy_version)
    )
    return result.scalars().all()
