"""Queries on administrative divisions."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import Division


async def get(session: AsyncSession, code: str, *, for_update: bool = False) -> Division | None:
    stmt = select(Division).where(Division.code == code)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def by_codes(session: AsyncSession, codes: list[str]) -> dict[str, Division]:
    result = await session.execute(select(Division).where(Division.code.in_(codes)).with_for_update())
    return {division.code: division for division in result.scalars().all()}


async def children(session: AsyncSession, code: str) -> Sequence[Division]:
    result = await session.execute(
        select(Division).where(Division.parent_code == code).order_by(Division.code)
    )
    return result.scalars().all()


async def within(session: AsyncSession, low: str, high: str) -> dict[str, Division]:
    """Every division whose code lies in [low, high] (a county's townships and villages), by code."""
    result = await session.execute(select(Division).where(Division.code.between(low, high)))
    return {division.code: division for division in result.scalars().all()}
