"""Queries on user accounts."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.models import User


async def username_taken(session: AsyncSession, username: str) -> bool:
    result = await session.execute(select(User.id).where(User.username == username))
    return result.first() is not None


async def list_users(session: AsyncSession, offset: int, limit: int) -> Sequence[User]:
    result = await session.execute(select(User).order_by(User.username).offset(offset).limit(limit))
    return result.scalars().all()
