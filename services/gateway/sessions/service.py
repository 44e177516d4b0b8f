"""Device sessions (设备会话): opened at sign-in, renewed by refresh tokens, revoked for a lost phone."""

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.config import GatewaySettings
from services.gateway.models import AuditRecord, DeviceSession, RefreshToken, User
from services.gateway.schemas import SessionOut
from services.gateway.sessions import repository
from services.gateway.sessions.revocations import Revocations
from services.kit.audit import record_audit
from services.kit.auth import Principal
from services.kit.errors import NotFound
from services.kit.tokens import new_refresh_token

SESSION_NOT_FOUND = ("Session not found.", "未找到该会话。")


def issue_refresh_token(
    session: AsyncSession, device_session: DeviceSession, settings: GatewaySettings, now: dt.datetime
) -> str:
    """A new refresh token for the session; it cannot outlive the session itself."""
    token, token_hash = new_refresh_token()
    expires = min(now + dt.timedelta(seconds=settings.refresh_token_seconds), device_session.expires_at)
    session.add(
        RefreshToken(token_hash=token_hash, session_id=device_session.id, issued_at=now, expires_at=expires)
    )
    return token


async def open_session(
    session: AsyncSession,
    user: User,
    *,
    device_id: str,
    user_agent: str,
    client_ip: str,
    settings: GatewaySettings,
    revocations: Revocations,
    now: dt.datetime,
) -> DeviceSession:
    """One session per device: signing in again on the same phone ends the previous session there."""
    for previous in await repository.active_sessions(session, user.id, now):
        if previous.device_id == device_id:
            end_session(session, previous, reason="replaced", actor=None, revocations=revocations, now=now)
    device_session = DeviceSession(
        id=uuid.uuid4(),
        user_id=user.id,
        device_id=device_id,
        user_agent=user_agent[:200],
        client_ip=client_ip[:64],
        created_at=now,
        last_used_at=now,
        expires_at=now + dt.timedelta(seconds=settings.session_max_seconds),
    )
    session.add(device_session)
    return device_session


def end_session(
    session: AsyncSession,
    device_session: DeviceSession,
    *,
    reason: str,
    actor: Principal | None,
    revocations: Revocations,
    now: dt.datetime,
) -> None:
    """Revoke a session: refresh tokens stop at once, access tokens at each replica's next reload."""
    if device_session.revoked_at is not None:
        return
    device_session.revoked_at = now
    device_session.revoked_reason = reason
    revocations.revoke_session(str(device_session.id))
    record_audit(
        session,
        AuditRecord,
        actor=actor,
        actor_name=None if actor else str(device_session.user_id),
        action="session.revoke",
        entity_type="session",
        entity_id=str(device_session.id),
        reason=reason,
        detail={"user_id": str(device_session.user_id), "device_id": device_session.device_id},
    )


async def end_all_sessions(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    reason: str,
    actor: Principal | None,
    revocations: Revocations,
    now: dt.datetime,
) -> int:
    sessions = await repository.active_sessions(session, user_id, now)
    for device_session in sessions:
        end_session(session, device_session, reason=reason, actor=actor, revocations=revocations, now=now)
    return len(sessions)


def session_out(device_session: DeviceSession, current_id: str | None = None) -> SessionOut:
    out = SessionOut.model_validate(device_session)
    out.current = str(device_session.id) == current_id
    return out


async def list_sessions(
    session: AsyncSession, user_id: uuid.UUID, now: dt.datetime, current_id: str | None = None
) -> list[SessionOut]:
    return [session_out(s, current_id) for s in await repository.active_sessions(session, user_id, now)]


async def revoke(
    session: AsyncSession,
    user_id: uuid.UUID,
    session_id: uuid.UUID,
    *,
    reason: str,
    actor: Principal,
    revocations: Revocations,
    now: dt.datetime,
) -> None:
    device_session = await repository.get_session(session, session_id, user_id, for_update=True)
    if device_session is None:
        raise NotFound(*SESSION_NOT_FOUND)
    end_session(session, device_session, reason=reason, actor=actor, revocations=revocations, now=now)
