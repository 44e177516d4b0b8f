"""Gateway tables: people, partner clients, signing keys, the login audit."""

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.kit.audit import AuditMixin
from services.kit.database import TYPE_ANNOTATION_MAP, Timestamped, new_metadata, utcnow


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
    """An ES256 key pair; retired keys stay published until their last tokens expire."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(32), primary_key=True)
    private_pem: Mapped[str] = mapped_column(String(1000))
    public_jwk: Mapped[dict[str, Any]]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[dt.datetime | None]


class AuditRecord(AuditMixin, Base):
    """Logins, failures and every change to identities (hash-chained)."""

    __tablename__ = "audit_records"
