"""Queries on fund sources."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidy.models import FundSource


async def get(session: AsyncSession, code: str) -> FundSource | None:
    return await session.get(FundSource, code)


async def list_sources(session: AsyncSession, counties: set[str] | None) -> Sequence[FundSource]:
    stmt = select(FundSource).order_by(FundSource.year, FundSource.code)
    if counties is not None:
        stmt = stmt.where(FundSource.county_code.in_(counties))
    return (await session.execute(stmt)).scalars().all()
