"""Queries on signing keys."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.models import SigningKeyRecord


async def list_signing_keys(session: AsyncSession) -> Sequence[SigningKeyRecord]:
    result = await session.execute(select(SigningKeyRecord).order_by(SigningKeyRecord.created_at))
    return result.scalars().all()


async def unretired_keys(session: AsyncSession) -> Sequence[SigningKeyRecord]:
    result = await session.execute(
        select(SigningKeyRecord).where(SigningKeyRecord.retired_at.is_(None)).with_for_update()
    )
    return result.scalars().all()
