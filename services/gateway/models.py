"""Gateway tables: people, device sessions, refresh tokens, partner clients, signing keys, the audit."""

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.kit.audit import AuditMixin
from services.kit.database import TYPE_ANNOTATION_MAP, BigIntId, Timestamped, new_metadata, utcnow


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


class User(Timestamped, Base):
    """A person who signs in: cadre (干部), reviewer, finance officer, auditor or admin."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[Any]]
    regions: Mapped[list[Any]]
    disabled: Mapped[bool] = mapped_column(default=False)


class LoginFailure(Base):
    """A failed sign-in for a username (登录失败), counted for lockout; kept for one window only."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DeviceSession(Base):
    """A person signed in on one device (设备会话); revoked by logout, by the owner or an admin."""

    __tablename__ = "device_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    device_id: Mapped[str] = mapped_column(String(128))
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    client_ip: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    revoked_reason: Mapped[str | None] = mapped_column(String(32))


class RefreshToken(Base):
    """A refresh token, stored only as its hash (刷新令牌); used once, then replaced by a new one."""

    __tablename__ = "refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("device_sessions.id"), index=True)
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]


class ApiClient(Timestamped, Base):
    """A partner system (bank) or one of our services, signing in with client credentials."""

    __tablename__ = "api_clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[list[Any]]
    disabled: Mapped[bool] = mapped_column(default=False)


class SigningKeyRecord(Base):
    """An ES256 key pair: published from creation, signs from `activates_at` until retired."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(32), primary_key=True)
    private_pem: Mapped[str] = mapped_column(String(1000))
    public_jwk: Mapped[dict[str, Any]]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    activates_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[dt.datetime | None]


class AuditRecord(AuditMixin, Base):
    """Logins, failures, sessions, every change to identities and every state-changing call (hash-chained)."""

    __tablename__ = "audit_records"
