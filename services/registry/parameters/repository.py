"""Queries on the registry's parameters."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import RegistryParameter


async def for_key(session: AsyncSession, key: str) -> Sequence[RegistryParameter]:
    result = await session.execute(select(RegistryParameter).where(RegistryParameter.key == key))
    return result.scalars().all()


async def all_rows(session: AsyncSession) -> Sequence[RegistryParameter]:
    result = await session.execute(
        select(RegistryParameter).order_by(
            RegistryParameter.key, RegistryParameter.region_code, RegistryParameter.effective_from
        )
    )
    return result.scalars().all()


async def exists(session: AsyncSession, key: str, region_code: str, effective_from: object) -> bool:
    result = await session.execute(
        select(RegistryParameter.id).where(
            RegistryParameter.key == key,
            RegistryParameter.region_code == region_code,
            RegistryParameter.effective_from == effective_from,
        )
    )
    return result.first() is not None
