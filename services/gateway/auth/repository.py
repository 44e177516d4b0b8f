"""Queries for sign-in: users, clients, keys."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.models import ApiClient, SigningKeyRecord, User


async def get_user_by_username(session: AsyncSession, username: str) -> User | None:
    result = await session.execute(select(User).where(User.username == username))
    return result.scalar_one_or_none()


async def get_client(session: AsyncSession, client_id: str) -> ApiClient | None:
    return await session.get(ApiClient, client_id)


async def list_signing_keys(session: AsyncSession) -> Sequence[SigningKeyRecord]:
    result = await session.execute(select(SigningKeyRecord).order_by(SigningKeyRecord.created_at))
    return result.scalars().all()
