"""Queries on user accounts."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.models import User


async def username_taken(session: AsyncSession, username: str) -> bool:
    result = await session.execute(select(User.id).where(User.username == username))
    return result.first() is not None


async def get_user(session: AsyncSession, user_id: uuid.UUID, *, for_update: bool = False) -> User | None:
    stmt = select(User).where(User.id == user_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_users(session: AsyncSession, offset: int, limit: int) -> Sequence[User]:
    result = await session.execute(select(User).order_by(User.username).offset(offset).limit(limit))
    return result.scalars().all()
