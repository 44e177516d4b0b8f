"""Eligibility tables: policy versions, the household projection, assessments, runs, feeds."""

import datetime as dt
import uuid
from typing import Any

import numpy as np
from sqlalchemy import (
    BigInteger,
    Double,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

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


class MemberCodes(TypeDecorator[list[int]]):
    """Each member's 64-bit code (rules/inputs.py): bigint[] on PostgreSQL, little-endian bytes on SQLite."""

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(BigInteger()))
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: list[int] | None, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return np.asarray(value, "<i8").tobytes()

    def process_result_value(self, value: Any, dialect: Dialect) -> list[int] | None:
        if value is None or dialect.name == "postgresql":
            return value  # type: ignore[no-any-return]
        return np.frombuffer(value, "<i8").tolist()  # type: ignore[no-any-return]


class HouseholdInput(Base):
    """What eligibility knows of a household, projected from the registry's feed, as the rules read it.

    One column per stored household field of rules/inputs.py (an enum as its code, 0 for unknown;
    a floor area not recorded as NULL) and the members' codes.
    """

    __tablename__ = "household_inputs"

    household_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    household_version: Mapped[int]
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    inputs_hash: Mapped[str] = mapped_column(String(64))
    per_capita_net_income_fen: Mapped[int]
    per_capita_disposable_income_fen: Mapped[int]
    member_count: Mapped[int]
    transfer_income_fen: Mapped[int]
    housing_safety_grade: Mapped[int] = mapped_column(SmallInteger)
    housing_area_m2: Mapped[float | None] = mapped_column(Double)
    housing_self_build_capable: Mapped[bool]
    drinking_water_safe: Mapped[bool]
    food_clothing_secure: Mapped[bool]
    dibao: Mapped[bool]
    wubao: Mapped[bool]
    status: Mapped[int] = mapped_column(SmallInteger)
    exit_year: Mapped[int]
    members: Mapped[list[int]] = mapped_column(MemberCodes)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Assessment(Base):
    """A household assessed against one policy version on one date; `details` packs each rule's result.

    `details` is the policy's fixed-width record (policies/engine.py: rules and programs one byte
    each, quantities as big-endian int32, score values as big-endian doubles, points one byte each).
    """

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
    outcome_key: Mapped[str] = mapped_column(String(64))  # see policies/engine.py Outcomes
    category: Mapped[str] = mapped_column(String(16))
    poor: Mapped[bool]
    score_x100: Mapped[int]


class ReassessmentRun(Base):
    """A bulk reassessment (批量重新评估) of a region and its progress; its lanes hold the cursors."""

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
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]


class ReassessmentLane(Base):
    """One household-id range of a run (分段), carried out beside the others, with its own cursor."""

    __tablename__ = "reassessment_lanes"

    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reassessment_runs.id"), primary_key=True)
    lane: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    upto: Mapped[uuid.UUID | None]
    """The last household id of the range (None: no end)."""
    resume_after: Mapped[uuid.UUID | None]
    finished: Mapped[bool] = mapped_column(default=False)


class AuditRecord(AuditMixin, Base):
    """Policy changes and other actions (hash-chained)."""

    __tablename__ = "audit_records"


class OutboxEvent(OutboxMixin, Base):
    """The assessment feed."""

    __tablename__ = "outbox_events"


class ConsumerCursor(ConsumerCursorMixin, Base):
    """How far this service has applied the registry's feed."""

    __tablename__ = "consumer_cursors"
