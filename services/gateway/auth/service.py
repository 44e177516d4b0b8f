"""Sign-in rules: passwords with lockout for people, rotating refresh tokens, client credentials."""

import datetime as dt
import hmac
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.auth import repository
from services.gateway.auth.passwords import Passwords
from services.gateway.config import GatewaySettings
from services.gateway.keys.ring import KeyRing
from services.gateway.models import AuditRecord, DeviceSession, LoginFailure, User
from services.gateway.schemas import LoginRequest, PasswordChange, SessionTokens, TokenResponse
from services.gateway.sessions import repository as sessions_repository
from services.gateway.sessions import service as sessions
from services.gateway.sessions.revocations import Revocations
from services.gateway.users.service import check_password_policy
from services.kit.audit import record_audit
from services.kit.auth import Principal, PrincipalKind
from services.kit.database import utcnow
from services.kit.errors import AppError, BadRequest, NotFound, TooManyRequests, Unauthorized
from services.kit.tokens import hash_opaque_token, issue_token

WRONG_CREDENTIALS = ("Wrong username or password.", "用户名或密码错误。")


@dataclass(frozen=True)
class Caller:
    """Where a sign-in comes from: shown in the session list and kept in the audit."""

    client_ip: str
    user_agent: str


@dataclass(frozen=True)
class Identity:
    """What sign-in needs from the app: hashing, keys, revocations and the settings."""

    passwords: Passwords
    keys: KeyRing
    revocations: Revocations
    settings: GatewaySettings


def person(user: User) -> Principal:
    """The person as the audit records them once identified (with roles and regions)."""
    return Principal(
        subject=str(user.id),
        kind=PrincipalKind.USER,
        name=user.username,
        roles=frozenset(user.roles),
        regions=tuple(user.regions),
    )


def access_token(user: User, device_session: DeviceSession, identity: Identity, now: dt.datetime) -> str:
    settings = identity.settings
    return issue_token(
        identity.keys.signing_key(now),
        subject=str(user.id),
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        ttl_seconds=settings.access_token_seconds,
        now=now,
        claims={
            "typ": PrincipalKind.USER.value,
            "name": user.username,
            "roles": list(user.roles),
            "regions": list(user.regions),
            "sid": str(device_session.id),
            "device": device_session.device_id,
        },
    )


def session_tokens(
    session: AsyncSession, user: User, device_session: DeviceSession, identity: Identity, now: dt.datetime
) -> SessionTokens:
    refresh = sessions.issue_refresh_token(session, device_session, identity.settings, now)
    return SessionTokens(
        access_token=access_token(user, device_session, identity, now),
        expires_in=identity.settings.access_token_seconds,
        refresh_token=refresh,
        refresh_expires_in=identity.settings.refresh_token_seconds,
        session_id=device_session.id,
    )


async def _failures_in_window(
    session: AsyncSession, username: str, settings: GatewaySettings, now: dt.datetime
) -> Sequence[dt.datetime]:
    """Serialize sign-ins for the username and return its failures within the window."""
    window_start = now - dt.timedelta(seconds=settings.lockout_window_seconds)
    await repository.serialize_sign_ins(session, username)
    return await repository.recent_failures(session, username, window_start, settings.lockout_failures)


def _locked(
    failures: Sequence[dt.datetime], settings: GatewaySettings, now: dt.datetime
) -> TooManyRequests | None:
    """The refusal while `lockout_failures` failures lie in the window; it lifts when the oldest ages out."""
    if len(failures) < settings.lockout_failures:
        return None
    unlock_at = failures[-1] + dt.timedelta(seconds=settings.lockout_window_seconds)
    retry = max(1, math.ceil((unlock_at - now).total_seconds()))
    return TooManyRequests(
        "Too many failed sign-ins: the account is locked for now.",
        "登录失败次数过多,账号已暂时锁定,请稍后再试。",
        code="account_locked",
        headers={"Retry-After": str(retry)},
    )


async def _record_failure(
    session: AsyncSession,
    username: str,
    failures: Sequence[dt.datetime],
    user: User | None,
    settings: GatewaySettings,
    now: dt.datetime,
    detail: dict[str, str],
) -> None:
    # Failures that left the window count no more: drop them here, so a username sprayed by an
    # attacker (who never signs in successfully) does not grow the table.
    await repository.forget_failures(
        session, username, before=now - dt.timedelta(seconds=settings.lockout_window_seconds)
    )
    session.add(LoginFailure(username=username, at=now))
    count = len(failures) + 1
    record_audit(
        session,
        AuditRecord,
        actor=None,
        actor_name=username[:64],
        action="login",
        entity_type="user",
        entity_id=str(user.id) if user else "-",
        outcome="failed",
        detail={**detail, "failures_in_window": str(count)},
    )
    if count >= settings.lockout_failures:
        record_audit(
            session,
            AuditRecord,
            actor=None,
            actor_name=username[:64],
            action="login.lockout",
            entity_type="user",
            entity_id=str(user.id) if user else "-",
            outcome="locked",
            reason=f"{count} failed sign-ins within {settings.lockout_window_seconds} s",
            detail=detail,
        )


async def login(
    session: AsyncSession, body: LoginRequest, caller: Caller, identity: Identity
) -> SessionTokens | AppError:
    """Tokens for a new device session, or the refusal to send once it has been audited (never raises)."""
    settings = identity.settings
    now = utcnow()
    detail = {"device_id": body.device_id, "client_ip": caller.client_ip}
    failures = await _failures_in_window(session, body.username, settings, now)
    locked = _locked(failures, settings, now)
    if locked is not None:
        record_audit(
            session,
            AuditRecord,
            actor=None,
            actor_name=body.username[:64],
            action="login",
            entity_type="user",
            entity_id="-",
            outcome="locked",
            detail=detail,
        )
        return locked
    user = await repository.get_user_by_username(session, body.username)
    valid = await identity.passwords.verify(user.password_hash if user else None, body.password)
    if user is None or not valid:
        await _record_failure(session, body.username, failures, user, settings, now, detail)
        return Unauthorized(*WRONG_CREDENTIALS)
    if user.disabled:
        record_audit(
            session,
            AuditRecord,
            actor=None,
            actor_name=user.username,
            action="login",
            entity_type="user",
            entity_id=str(user.id),
            outcome="disabled",
            detail=detail,
        )
        return Unauthorized(*WRONG_CREDENTIALS)
    if failures:
        await repository.forget_failures(session, body.username)
    if identity.passwords.needs_rehash(user.password_hash):
        user.password_hash = await identity.passwords.hash(body.password)
    device_session = await sessions.open_session(
        session,
        user,
        device_id=body.device_id,
        user_agent=caller.user_agent,
        client_ip=caller.client_ip,
        settings=settings,
        revocations=identity.revocations,
        now=now,
    )
    tokens = session_tokens(session, user, device_session, identity, now)
    record_audit(
        session,
        AuditRecord,
        actor=person(user),
        action="login",
        entity_type="user",
        entity_id=str(user.id),
        detail={**detail, "session_id": str(device_session.id)},
    )
    return tokens


async def refresh(
    session: AsyncSession, refresh_token: str, caller: Caller, identity: Identity
) -> SessionTokens | AppError:
    """Spend a refresh token for a new pair; a token spent twice revokes its whole session."""
    now = utcnow()
    token_hash = hash_opaque_token(refresh_token)
    stored = await sessions_repository.get_refresh_token(session, token_hash)
    device_session = await session.get(DeviceSession, stored.session_id) if stored else None
    if stored is None or device_session is None:
        record_audit(
            session,
            AuditRecord,
            actor=None,
            actor_name="anonymous",
            action="token.refresh",
            entity_type="session",
            entity_id="-",
            outcome="failed",
            detail={"client_ip": caller.client_ip},
        )
        return Unauthorized("Refresh token not valid.", "刷新令牌无效。", code="invalid_refresh_token")
    audit_detail = {"client_ip": caller.client_ip, "device_id": device_session.device_id}
    if stored.used_at is not None or not await sessions_repository.claim_refresh_token(
        session, token_hash, now
    ):
        # Two holders of one refresh token: one of them is a thief, and we cannot tell which.
        sessions.end_session(
            session,
            device_session,
            reason="refresh_reuse",
            actor=None,
            revocations=identity.revocations,
            now=now,
        )
        record_audit(
            session,
            AuditRecord,
            actor=None,
            actor_name=str(device_session.user_id),
            action="token.refresh",
            entity_type="session",
            entity_id=str(device_session.id),
            outcome="reuse_detected",
            detail=audit_detail,
        )
        return Unauthorized(
            "Refresh token already used: the session is revoked; sign in again.",
            "刷新令牌已被使用,该会话已注销,请重新登录。",
            code="refresh_token_reused",
        )
    user = await session.get(User, device_session.user_id)
    if (
        device_session.revoked_at is not None
        or device_session.expires_at <= now
        or stored.expires_at <= now
        or user is None
        or user.disabled
    ):
        record_audit(
            session,
            AuditRecord,
            actor=None,
            actor_name=str(device_session.user_id),
            action="token.refresh",
            entity_type="session",
            entity_id=str(device_session.id),
            outcome="session_ended",
            detail=audit_detail,
        )
        return Unauthorized(
            "The session has ended; sign in again.", "会话已结束,请重新登录。", code="session_ended"
        )
    device_session.last_used_at = now
    tokens = session_tokens(session, user, device_session, identity, now)
    record_audit(
        session,
        AuditRecord,
        actor=person(user),
        action="token.refresh",
        entity_type="session",
        entity_id=str(device_session.id),
        detail=audit_detail,
    )
    return tokens


async def logout(session: AsyncSession, principal: Principal, identity: Identity) -> None:
    """End the session the access token belongs to."""
    if principal.session_id is None:
        raise BadRequest("This token has no session to end.", "该令牌没有可注销的会话。")
    device_session = await sessions_repository.get_session(
        session, uuid.UUID(principal.session_id), uuid.UUID(principal.subject), for_update=True
    )
    if device_session is None:
        raise NotFound(*sessions.SESSION_NOT_FOUND)
    sessions.end_session(
        session,
        device_session,
        reason="logout",
        actor=principal,
        revocations=identity.revocations,
        now=utcnow(),
    )


async def change_password(
    session: AsyncSession, principal: Principal, body: PasswordChange, identity: Identity
) -> AppError | None:
    """A new password from its owner; wrong current ones count toward lockout; other devices sign out."""
    settings = identity.settings
    now = utcnow()
    user = await session.get(User, uuid.UUID(principal.subject))
    if user is None:
        raise NotFound("User not found.", "未找到该用户。")
    failures = await _failures_in_window(session, user.username, settings, now)
    locked = _locked(failures, settings, now)
    if locked is not None:
        return locked
    if not await identity.passwords.verify(user.password_hash, body.current_password):
        await _record_failure(
            session, user.username, failures, user, settings, now, {"purpose": "password_change"}
        )
        return Unauthorized("The current password is wrong.", "当前密码错误。", code="wrong_password")
    check_password_policy(body.new_password, user.username, settings)
    user.password_hash = await identity.passwords.hash(body.new_password)
    for device_session in await sessions_repository.active_sessions(session, user.id, now):
        if str(device_session.id) != principal.session_id:
            sessions.end_session(
                session,
                device_session,
                reason="password_changed",
                actor=principal,
                revocations=identity.revocations,
                now=now,
            )
    record_audit(
        session,
        AuditRecord,
        actor=principal,
        action="user.password_change",
        entity_type="user",
        entity_id=str(user.id),
    )
    return None


async def client_credentials(
    session: AsyncSession, client_id: str, client_secret: str, caller: Caller, identity: Identity
) -> TokenResponse | Unauthorized:
    """A token, or the refusal to send back once the failure has been audited."""
    settings = identity.settings
    client = await repository.get_client(session, client_id)
    valid = client is not None and hmac.compare_digest(client.secret_hash, hash_opaque_token(client_secret))
    if client is None or not valid or client.disabled:
        record_audit(
            session,
            AuditRecord,
            actor=None,
            actor_name=client_id[:64],
            action="client_token",
            entity_type="api_client",
            entity_id=client_id[:64],
            outcome="disabled" if client is not None and valid else "failed",
            detail={"client_ip": caller.client_ip},
        )
        return Unauthorized("Unknown client or wrong secret.", "客户端凭证无效。", code="invalid_client")
    kind = PrincipalKind.SERVICE if client.kind == "service" else PrincipalKind.CLIENT
    token = issue_token(
        identity.keys.signing_key(),
        subject=client.client_id,
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        ttl_seconds=settings.access_token_seconds,
        claims={"typ": kind.value, "name": client.name, "scope": " ".join(client.scopes)},
    )
    if kind is PrincipalKind.CLIENT:
        # Our own services renew tokens constantly; a partner's sign-ins are worth keeping.
        record_audit(
            session,
            AuditRecord,
            actor=None,
            actor_name=client.client_id,
            action="client_token",
            entity_type="api_client",
            entity_id=client.client_id,
            detail={"client_ip": caller.client_ip, "scopes": " ".join(client.scopes)},
        )
    return TokenResponse(access_token=token, expires_in=settings.access_token_seconds)
