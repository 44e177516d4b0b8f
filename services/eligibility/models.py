"""Eligibility tables: policy versions, the household projection, assessments, feeds."""

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.kit.audit import AuditMixin
from services.kit.database import TYPE_ANNOTATION_MAP, Timestamped, new_metadata, utcnow
from services.kit.outbox import ConsumerCursorMixin, OutboxMixin


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


class Policy(Timestamped, Base):
    """One version of a policy (扶贫政策): parameters and rules as data; immutable once published."""

    __tablename__ = "policies"
    __table_args__ = (UniqueConstraint("code", "policy_version"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[int]
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(12))
    effective_from: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(16))
    document: Mapped[dict[str, Any]]
    published_at: Mapped[dt.datetime | None]


class HouseholdInput(Base):
    """What eligibility knows of a household, projected from the registry's feed."""

    __tablename__ = "household_inputs"

    household_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    household_version: Mapped[int]
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    facts: Mapped[dict[str, Any]]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Assessment(Base):
    """A household assessed against one policy version, with each rule's result and reason."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("household_id", "household_version", "policy_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    household_id: Mapped[uuid.UUID] = mapped_column(index=True)
    household_version: Mapped[int]
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    policy_id: Mapped[uuid.UUID]
    policy_code: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[int]
    inputs_hash: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(16))
    poor: Mapped[bool]
    result: Mapped[dict[str, Any]]
    assessed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AuditRecord(AuditMixin, Base):
    """Policy changes and other actions (hash-chained)."""

    __tablename__ = "audit_records"


class OutboxEvent(OutboxMixin, Base):
    """The assessment feed."""

    __tablename__ = "outbox_events"


class ConsumerCursor(ConsumerCursorMixin, Base):
    """How far this service has applied the registry's feed."""

    __tablename__ = "consumer_cursors"
