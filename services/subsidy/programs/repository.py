"""Queries on programs."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidy.models import Program


async def get(session: AsyncSession, program_id: uuid.UUID) -> Program | None:
    return await session.get(Program, program_id)


async def code_taken(session: AsyncSession, code: str) -> bool:
    return (await session.execute(select(Program.id).where(Program.code == code))).first() is not None


async def list_programs(session: AsyncSession, counties: set[str] | None) -> Sequence[Program]:
    """Programs of these counties (None: all)."""
    stmt = select(Program).order_by(Program.year, Program.code)
    if counties is not None:
        stmt = stmt.where(Program.county_code.in_(counties))
    return (await session.execute(stmt)).scalars().all()


async def for_scheme(session: AsyncSession, scheme_code: str, county_code: str, year: int) -> Program | None:
    """The county's program of a catalogue scheme for a year (the first created, if several)."""
    stmt = (
        select(Program)
        .where(Program.scheme_code == scheme_code, Program.county_code == county_code, Program.year == year)
        .order_by(Program.created_at)
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()
