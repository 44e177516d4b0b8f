"""Eligibility tables: policy versions, the household projection, assessments, runs, feeds."""

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Index, LargeBinary, String, UniqueConstraint
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
    status: Mapped[str] = mapped_column(String(16), index=True)
    document: Mapped[dict[str, Any]]
    created_by: Mapped[str] = mapped_column(String(64), default="system")
    published_at: Mapped[dt.datetime | None]
    retired_at: Mapped[dt.datetime | None]


class InputSnapshot(Base):
    """A household input exactly as assessed, kept once per distinct content (by its hash)."""

    __tablename__ = "input_snapshots"

    inputs_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    facts: Mapped[dict[str, Any]]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class HouseholdInput(Base):
    """What eligibility knows of a household, projected from the registry's feed, packed for bulk runs."""

    __tablename__ = "household_inputs"

    household_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    household_version: Mapped[int]
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    inputs_hash: Mapped[str] = mapped_column(String(64))
    layout_version: Mapped[int]
    household_record: Mapped[bytes] = mapped_column(LargeBinary)
    member_records: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Assessment(Base):
    """A household assessed against one policy version on one date; `details` packs each rule's result."""

    __tablename__ = "assessments"
    __table_args__ = (Index("ix_assessments_household_id_assessed_at", "household_id", "assessed_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    household_id: Mapped[uuid.UUID]
    household_version: Mapped[int]
    village_code: Mapped[str] = mapped_column(String(12))
    policy_id: Mapped[uuid.UUID]
    policy_code: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[int]
    as_of: Mapped[dt.date]
    inputs_hash: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(16))
    poor: Mapped[bool]
    degree: Mapped[str | None] = mapped_column(String(16))
    extreme_poverty: Mapped[bool]
    exit_ready: Mapped[bool]
    score_x100: Mapped[int]
    details: Mapped[bytes] = mapped_column(LargeBinary)
    run_id: Mapped[uuid.UUID | None]
    assessed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CurrentAssessment(Base):
    """Each household's latest assessment and its outcome, for change detection and ranking."""

    __tablename__ = "current_assessments"

    household_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    assessment_id: Mapped[uuid.UUID]
    household_version: Mapped[int]
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    policy_id: Mapped[uuid.UUID]
    as_of: Mapped[dt.date]
    outcome_key: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(16))
    poor: Mapped[bool]
    score_x100: Mapped[int]


class ReassessmentRun(Base):
    """A bulk reassessment (批量重新评估) of a region: progress and the cursor it resumes from."""

    __tablename__ = "reassessment_runs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    region_code: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(16), index=True)
    as_of: Mapped[dt.date]
    reason: Mapped[str] = mapped_column(String(500))
    requested_by: Mapped[str] = mapped_column(String(64))
    total: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    changed: Mapped[int] = mapped_column(default=0)
    resume_after: Mapped[uuid.UUID | None]
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]


class AuditRecord(AuditMixin, Base):
    """Policy changes and other actions (hash-chained)."""

    __tablename__ = "audit_records"


class OutboxEvent(OutboxMixin, Base):
    """The assessment feed."""

    __tablename__ = "outbox_events"


class ConsumerCursor(ConsumerCursorMixin, Base):
    """How far this service has applied the registry's feed."""

    __tablename__ = "consumer_cursors"
