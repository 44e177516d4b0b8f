"""Queries on the program catalogue and its parameter versions."""

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidy.models import Scheme, SchemeParameters


async def get_scheme(session: AsyncSession, code: str) -> Scheme | None:
    return await session.get(Scheme, code)


async def list_schemes(session: AsyncSession) -> Sequence[Scheme]:
    return (await session.execute(select(Scheme).order_by(Scheme.code))).scalars().all()


async def parameter_versions(
    session: AsyncSession, scheme_code: str, regions: Sequence[str], on: dt.date
) -> Sequence[SchemeParameters]:
    """Versions in force on `on` for these regions, oldest first."""
    stmt = (
        select(SchemeParameters)
        .where(
            SchemeParameters.scheme_code == scheme_code,
            SchemeParameters.region_code.in_(regions),
            SchemeParameters.effective_from <= on,
        )
        .order_by(SchemeParameters.effective_from, SchemeParameters.id)
    )
    return (await session.execute(stmt)).scalars().all()


async def all_versions(session: AsyncSession, scheme_code: str) -> Sequence[SchemeParameters]:
    stmt = (
        select(SchemeParameters)
        .where(SchemeParameters.scheme_code == scheme_code)
        .order_by(SchemeParameters.region_code, SchemeParameters.effective_from)
    )
    return (await session.execute(stmt)).scalars().all()


async def version_exists(session: AsyncSession, scheme_code: str, region_code: str, on: dt.date) -> bool:
    stmt = select(SchemeParameters.id).where(
        SchemeParameters.scheme_code == scheme_code,
        SchemeParameters.region_code == region_code,
        SchemeParameters.effective_from == on,
    )
    return (await session.execute(stmt)).first() is not None
