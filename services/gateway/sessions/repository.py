"""Queries on device sessions and refresh tokens."""

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.models import ApiClient, DeviceSession, RefreshToken, User


async def active_sessions(
    session: AsyncSession, user_id: uuid.UUID, now: dt.datetime
) -> Sequence[DeviceSession]:
    result = await session.execute(
        select(DeviceSession)
        .where(
            DeviceSession.user_id == user_id,
            DeviceSession.revoked_at.is_(None),
            DeviceSession.expires_at > now,
        )
        .order_by(DeviceSession.last_used_at.desc())
    )
    return result.scalars().all()


async def get_session(
    session: AsyncSession, session_id: uuid.UUID, user_id: uuid.UUID, *, for_update: bool = False
) -> DeviceSession | None:
    stmt = select(DeviceSession).where(DeviceSession.id == session_id, DeviceSession.user_id == user_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_refresh_token(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    return await session.get(RefreshToken, token_hash)


async def claim_refresh_token(session: AsyncSession, token_hash: str, now: dt.datetime) -> bool:
    """Mark the token used; False when another request used it first (the row lock decides)."""
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.token_hash == token_hash, RefreshToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]  # an UPDATE's result has a rowcount


async def recently_revoked_session_ids(session: AsyncSession, since: dt.datetime) -> Sequence[uuid.UUID]:
    result = await session.execute(select(DeviceSession.id).where(DeviceSession.revoked_at > since))
    return result.scalars().all()


async def disabled_subjects(session: AsyncSession) -> list[str]:
    users = await session.execute(select(User.id).where(User.disabled.is_(True)))
    clients = await session.execute(select(ApiClient.client_id).where(ApiClient.disabled.is_(True)))
    return [str(user_id) for user_id in users.scalars()] + list(clients.scalars())
