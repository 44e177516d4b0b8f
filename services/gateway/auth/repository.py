"""Queries for sign-in: users, clients, failed attempts."""

import datetime as dt
import zlib
from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.models import ApiClient, LoginFailure, User


async def serialize_sign_ins(session: AsyncSession, username: str) -> None:
    """Sign-ins for one username run one at a time until commit, so failures are counted exactly.

    An advisory lock, not a row lock, so unknown usernames are treated the same as real ones.
    SQLite needs nothing: every transaction there takes the write lock when it begins.
    """
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(f"gateway.sign-in.{username}".encode())
        await session.execute(select(func.pg_advisory_xact_lock(key)))


async def recent_failures(
    session: AsyncSession, username: str, since: dt.datetime, limit: int
) -> Sequence[dt.datetime]:
    """Times of the newest `limit` failures since `since`, newest first."""
    result = await session.execute(
        select(LoginFailure.at)
        .where(LoginFailure.username == username, LoginFailure.at >= since)
        .order_by(LoginFailure.at.desc())
        .limit(limit)
    )
    return result.scalars().all()


async def forget_failures(session: AsyncSession, username: str, before: dt.datetime | None = None) -> None:
    """Drop a username's failures (all of them, or those older than the window)."""
    stmt = delete(LoginFailure).where(LoginFailure.username == username)
    if before is not None:
        stmt = stmt.where(LoginFailure.at < before)
    await session.execute(stmt)


async def get_user_by_username(session: AsyncSession, username: str) -> User | None:
    result = await session.execute(select(User).where(User.username == username))
    return result.scalar_one_or_none()


async def get_client(session: AsyncSession, client_id: str) -> ApiClient | None:
    return await session.get(ApiClient, client_id)
