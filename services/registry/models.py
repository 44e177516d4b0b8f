"""Registry tables: households (户), members (成员), survey submissions, audit trail, outbox."""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, Numeric, String, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.kit.audit import AuditMixin
from services.kit.database import TYPE_ANNOTATION_MAP, JSONDocument, Timestamped, new_metadata, utcnow
from services.kit.outbox import ConsumerCursorMixin, OutboxMixin


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


class Household(Timestamped, Base):
    """A household (户), the unit of identification and help."""

    __tablename__ = "households"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    status: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16))
    head_name: Mapped[str] = mapped_column(String(50))
    member_count: Mapped[int]

    wages_fen: Mapped[int] = mapped_column(default=0)
    production_net_fen: Mapped[int] = mapped_column(default=0)
    property_fen: Mapped[int] = mapped_column(default=0)
    transfer_fen: Mapped[int] = mapped_column(default=0)
    production_cost_fen: Mapped[int] = mapped_column(default=0)
    per_capita_net_income_fen: Mapped[int] = mapped_column(default=0)

    housing_structure: Mapped[str | None] = mapped_column(String(32))
    housing_area_m2: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    housing_safety_grade: Mapped[str | None] = mapped_column(String(1))
    drinking_water_safe: Mapped[bool | None]

    bank_name: Mapped[str | None] = mapped_column(String(100))
    bank_account_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    bank_account_masked: Mapped[str | None] = mapped_column(String(40))

    group_name: Mapped[str | None] = mapped_column(String(50))
    poverty_degree: Mapped[str | None] = mapped_column(String(16))
    main_cause: Mapped[str | None] = mapped_column(String(32))
    secondary_causes: Mapped[list[Any]] = mapped_column(default=list)
    dibao_allowance_fen: Mapped[int] = mapped_column(default=0)
    food_clothing_secure: Mapped[bool | None]
    education_secured: Mapped[bool | None]
    medical_secured: Mapped[bool | None]
    housing_secured: Mapped[bool | None]
    relocated: Mapped[bool] = mapped_column(default=False)
    registered_on: Mapped[dt.date | None]
    exit_year: Mapped[int | None]
    exited_on: Mapped[dt.date | None]
    grace_ends_on: Mapped[dt.date | None]

    members: Mapped[list["Member"]] = relationship(back_populates="household", lazy="raise")


class Member(Timestamped, Base):
    """A household member; the ID number is kept encrypted, found by its keyed hash (blind index)."""

    __tablename__ = "members"
    __table_args__ = (
        Index(
            "uq_members_active_id_number",
            "id_number_index",
            unique=True,
            postgresql_where=text("active"),
            sqlite_where=text("active"),
        ),
        Index("ix_members_birth_date_name", "birth_date", "name"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("households.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    id_number_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    id_number_index: Mapped[str] = mapped_column(String(64), index=True)
    id_number_masked: Mapped[str] = mapped_column(String(18))
    sex: Mapped[str] = mapped_column(String(8))
    birth_date: Mapped[dt.date]
    relation: Mapped[str] = mapped_column(String(16))
    labour_capacity: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)

    labour_willing: Mapped[bool | None]
    health: Mapped[str | None] = mapped_column(String(16))
    disability_grade: Mapped[int | None]
    schooling_stage: Mapped[str | None] = mapped_column(String(24))
    dropout: Mapped[bool] = mapped_column(default=False)
    medical_insurance: Mapped[bool | None]
    pension_insurance: Mapped[bool | None]
    skills: Mapped[list[Any]] = mapped_column(default=list)
    work_location: Mapped[str | None] = mapped_column(String(24))
    months_worked: Mapped[int | None]
    public_welfare_job: Mapped[bool] = mapped_column(default=False)

    household: Mapped[Household] = relationship(back_populates="members", lazy="raise")


class SurveySubmission(Base):
    """A door-to-door survey (入户调查) as received; its client UUID makes resending harmless.

    The survey itself is kept encrypted (it holds ID and account numbers) so that a conflict can be
    resolved later by choosing fields; the status says where it stands (received, accepted, needs
    review, rejected) and `sync_sequence` where it sits in its author's sync feed.
    """

    __tablename__ = "survey_submissions"
    __table_args__ = (
        Index("ix_survey_submissions_submitted_by_sync_sequence", "submitted_by", "sync_sequence"),
        Index("ix_survey_submissions_village_code_status", "village_code", "status"),
        Index("ix_survey_submissions_status_received_at", "status", "received_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    body_hash: Mapped[str] = mapped_column(String(64))
    household_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    base_version: Mapped[int | None]
    household_version: Mapped[int | None]
    village_code: Mapped[str] = mapped_column(String(12))
    form_code: Mapped[str] = mapped_column(String(64))
    form_version: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    reason_code: Mapped[str | None] = mapped_column(String(48))
    reason: Mapped[str | None] = mapped_column(String(500))
    reason_zh: Mapped[str | None] = mapped_column(String(500))
    flags: Mapped[list[Any]] = mapped_column(default=list)
    body_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    submitted_by: Mapped[str] = mapped_column(String(64))
    submitter_name: Mapped[str] = mapped_column(String(100), default="")
    submitter_roles: Mapped[list[Any]] = mapped_column(default=list)
    submitter_regions: Mapped[list[Any]] = mapped_column(default=list)
    device_id: Mapped[str] = mapped_column(String(128))
    app_version: Mapped[str | None] = mapped_column(String(32))
    captured_at: Mapped[dt.datetime]
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    gps_accuracy_m: Mapped[float | None]
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[dt.datetime | None]
    decision: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    sync_sequence: Mapped[int | None]


class AuditRecord(AuditMixin, Base):
    """Every change in the registry: who, when, what, why (hash-chained)."""

    __tablename__ = "audit_records"


class OutboxEvent(OutboxMixin, Base):
    """The household change feed, written in the same transaction as the change."""

    __tablename__ = "outbox_events"


# The household file's history, and the procedures and help around it (issue 4).


class HouseholdVersion(Base):
    """One version of a household's file (档案版本): who, when, why, what changed, and the whole file then."""

    __tablename__ = "household_versions"

    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("households.id"), primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    author: Mapped[str] = mapped_column(String(64))
    author_name: Mapped[str] = mapped_column(String(100), default="")
    action: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500))
    changed: Mapped[list[Any]]
    snapshot: Mapped[dict[str, Any]]


class HouseholdStatusChange(Base):
    """A change of a household's status (状态变更), kept for its history."""

    __tablename__ = "household_status_changes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("households.id"), index=True)
    household_version: Mapped[int]
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500))
    case_id: Mapped[uuid.UUID | None]


class Division(Timestamped, Base):
    """An administrative division (行政区划), province to village; a village lists its groups (村民小组)."""

    __tablename__ = "divisions"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(String(12), index=True)
    poor_village: Mapped[str | None] = mapped_column(String(16))
    exited: Mapped[bool] = mapped_column(default=False)
    exit_year: Mapped[int | None]
    collective_income_fen: Mapped[int | None]
    first_secretary: Mapped[str | None] = mapped_column(String(50))
    groups: Mapped[list[Any]] = mapped_column(default=list)


class RegistryParameter(Base):
    """A policy number the registry applies (notice days, quotas...), for a region from a date."""

    __tablename__ = "registry_parameters"
    __table_args__ = (UniqueConstraint("key", "region_code", "effective_from"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    key: Mapped[str] = mapped_column(String(64))
    region_code: Mapped[str] = mapped_column(String(12))
    effective_from: Mapped[dt.date]
    value: Mapped[Any] = mapped_column(JSONDocument)
    source: Mapped[str] = mapped_column(String(500))
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Case(Timestamped, Base):
    """A procedure for one household (识别、退出、返贫、清退), step by step; one open case per household."""

    __tablename__ = "cases"
    __table_args__ = (
        Index(
            "uq_cases_open_household",
            "household_id",
            unique=True,
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        Index("ix_cases_village_code_step", "village_code", "step"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(16))
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("households.id"), index=True)
    village_code: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(16))
    step: Mapped[str] = mapped_column(String(32))
    notice_id: Mapped[uuid.UUID | None]
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    opened_by: Mapped[str] = mapped_column(String(64))
    closed_at: Mapped[dt.datetime | None]
    outcome_reason: Mapped[str | None] = mapped_column(String(1000))
    annual_review_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CaseStep(Base):
    """A step done in a case: which, by whom in which role, when, with what note."""

    __tablename__ = "case_steps"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    step: Mapped[str] = mapped_column(String(32))
    acted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(100), default="")
    actor_role: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(String(1000), default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Deliberation(Base):
    """A village deliberation meeting (村级民主评议) with the ranking by score it voted on."""

    __tablename__ = "deliberations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    meeting_date: Mapped[dt.date]
    attendance: Mapped[int]
    chair: Mapped[str] = mapped_column(String(50))
    convened_by: Mapped[str] = mapped_column(String(50))
    minutes: Mapped[str] = mapped_column(String(2000), default="")
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ranking: Mapped[list[Any]]


class PublicNotice(Timestamped, Base):
    """A public notice (公示/公告) of a village's list, open for objections until its period ends."""

    __tablename__ = "public_notices"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    case_kind: Mapped[str] = mapped_column(String(16))
    step: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16))
    online: Mapped[bool] = mapped_column(default=False)
    title: Mapped[str] = mapped_column(String(200))
    posted_at: Mapped[dt.datetime]
    posted_by: Mapped[str] = mapped_column(String(64))
    period_days: Mapped[int]
    ends_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(String(16))
    closed_at: Mapped[dt.datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(64))


class NoticeEntry(Base):
    """One household on a notice, shown masked (张*明, 4101**********1234)."""

    __tablename__ = "notice_entries"
    __table_args__ = (UniqueConstraint("notice_id", "case_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    notice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("public_notices.id"), index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"))
    household_id: Mapped[uuid.UUID]
    position: Mapped[int]
    head_name_masked: Mapped[str] = mapped_column(String(50))
    head_id_masked: Mapped[str] = mapped_column(String(18))
    group_name: Mapped[str | None] = mapped_column(String(50))
    member_count: Mapped[int]
    category: Mapped[str] = mapped_column(String(16))
    main_cause: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))


class Objection(Timestamped, Base):
    """An objection (异议) lodged against a household on a notice, and how it was resolved."""

    __tablename__ = "objections"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    notice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("public_notices.id"), index=True)
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notice_entries.id"))
    case_id: Mapped[uuid.UUID]
    household_id: Mapped[uuid.UUID]
    lodged_at: Mapped[dt.datetime]
    recorded_by: Mapped[str] = mapped_column(String(64))
    objector: Mapped[str] = mapped_column(String(50), default="")
    content: Mapped[str] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(16))
    resolution: Mapped[str | None] = mapped_column(String(2000))
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[dt.datetime | None]


class AssessmentView(Base):
    """The latest assessment of a household, projected from the eligibility feed."""

    __tablename__ = "assessment_views"

    household_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    household_version: Mapped[int]
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    assessment_id: Mapped[uuid.UUID]
    policy_code: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[int]
    poor: Mapped[bool]
    category: Mapped[str] = mapped_column(String(32))
    exit_ready: Mapped[bool | None]
    assessed_at: Mapped[dt.datetime]


class ConsumerCursor(ConsumerCursorMixin, Base):
    """How far the registry has read other services' feeds."""

    __tablename__ = "consumer_cursors"


class AnnualReview(Timestamped, Base):
    """An annual review (年度动态调整) of a county or township: proposed entries and exits."""

    __tablename__ = "annual_reviews"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    year: Mapped[int]
    deadline: Mapped[dt.date]
    created_by: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[dt.datetime | None]
    opened_by: Mapped[str | None] = mapped_column(String(64))


class AnnualReviewItem(Base):
    """A household the annual review proposes to enter or to exit, from its latest assessment."""

    __tablename__ = "annual_review_items"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    review_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("annual_reviews.id"), index=True)
    household_id: Mapped[uuid.UUID]
    village_code: Mapped[str] = mapped_column(String(12))
    direction: Mapped[str] = mapped_column(String(8))
    household_version: Mapped[int]
    policy_code: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[int]
    per_capita_net_income_fen: Mapped[int]
    case_id: Mapped[uuid.UUID | None]


class Helper(Timestamped, Base):
    """A helper cadre (帮扶责任人) with the rank that fixes how many households they pair with."""

    __tablename__ = "helpers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_subject: Mapped[str | None] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(50))
    rank: Mapped[str] = mapped_column(String(16))
    unit: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20))
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    active: Mapped[bool] = mapped_column(default=True)


class Pairing(Timestamped, Base):
    """A helper cadre paired with a household (结对帮扶); one active helper per household."""

    __tablename__ = "pairings"
    __table_args__ = (
        Index(
            "uq_pairings_active_household",
            "household_id",
            unique=True,
            postgresql_where=text("active"),
            sqlite_where=text("active"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    helper_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("helpers.id"), index=True)
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("households.id"), index=True)
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    started_on: Mapped[dt.date]
    ended_on: Mapped[dt.date | None]
    end_reason: Mapped[str | None] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(default=True)


class Visit(Base):
    """A helper's visit to a household (民情日记): date, place, notes, photos."""

    __tablename__ = "visits"
    __table_args__ = (Index("ix_visits_household_id_visited_on", "household_id", "visited_on"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("households.id"))
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    helper_id: Mapped[uuid.UUID | None]
    visited_by: Mapped[str] = mapped_column(String(64))
    visited_on: Mapped[dt.date]
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    notes: Mapped[str] = mapped_column(String(2000))
    photos: Mapped[list[Any]] = mapped_column(default=list)
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class HelpMeasure(Timestamped, Base):
    """A help measure for a household (帮扶措施); income measures count towards the two required."""

    __tablename__ = "help_measures"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("households.id"), index=True)
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    raises_income: Mapped[bool]
    description: Mapped[str] = mapped_column(String(500))
    started_on: Mapped[dt.date]
    ended_on: Mapped[dt.date | None]
    amount_fen: Mapped[int | None]
    partner: Mapped[str | None] = mapped_column(String(100))
    recorded_by: Mapped[str] = mapped_column(String(64))


class QualityRun(Base):
    """A data-quality run (数据质量检查) over a region, on demand or scheduled."""

    __tablename__ = "quality_runs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    trigger: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    households_checked: Mapped[int | None]
    findings_count: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(String(500))


class QualityFinding(Base):
    """One problem a data-quality rule found in a household (or one of its members)."""

    __tablename__ = "quality_findings"
    __table_args__ = (Index("ix_quality_findings_run_id_village_code", "run_id", "village_code"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("quality_runs.id"))
    household_id: Mapped[uuid.UUID]
    village_code: Mapped[str] = mapped_column(String(12))
    rule: Mapped[str] = mapped_column(String(48))
    member_id: Mapped[uuid.UUID | None]
    observed: Mapped[str | None] = mapped_column(String(200))


class DuplicateFlag(Base):
    """Two active members who may be one person (same name and birth date in a county), for review."""

    __tablename__ = "duplicate_flags"
    __table_args__ = (UniqueConstraint("member_id", "other_member_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    county_code: Mapped[str] = mapped_column(String(12), index=True)
    member_id: Mapped[uuid.UUID]
    household_id: Mapped[uuid.UUID]
    other_member_id: Mapped[uuid.UUID]
    other_household_id: Mapped[uuid.UUID]
    status: Mapped[str] = mapped_column(String(16))
    raised_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[dt.datetime | None]
    resolution: Mapped[str | None] = mapped_column(String(500))


class IdempotencyRecord(Base):
    """A create request's key (Idempotency-Key) with the first answer, so a retry gets the same one."""

    __tablename__ = "idempotency_records"

    actor: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    operation: Mapped[str] = mapped_column(String(64))
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# Field surveys from the cadres' phones: forms, attachments, and what each phone syncs (issue 5).


class SurveyForm(Base):
    """One version of a survey form (调查表版本): its fields as data; open versions accept submissions."""

    __tablename__ = "survey_forms"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(64))
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict[str, Any]] = mapped_column(deferred=True, deferred_raiseload=True)
    """Not loaded with the row: each survey names its version, whose parsed definition is cached."""
    published_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    published_by: Mapped[str] = mapped_column(String(64))
    closed_at: Mapped[dt.datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(64))


class Attachment(Base):
    """A file (house photo, signature) stored once per SHA-256, uploaded in chunks that can resume."""

    __tablename__ = "attachments"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int]
    content_type: Mapped[str] = mapped_column(String(100))
    received_bytes: Mapped[int] = mapped_column(default=0)
    complete: Mapped[bool] = mapped_column(default=False)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[dt.datetime | None]


class AttachmentChunk(Base):
    """The bytes of an attachment from `offset` on, as one upload request delivered them."""

    __tablename__ = "attachment_chunks"

    sha256: Mapped[str] = mapped_column(ForeignKey("attachments.sha256"), primary_key=True)
    offset: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class SubmissionAttachment(Base):
    """An attachment a submission declared; the submission is complete once every one has arrived."""

    __tablename__ = "submission_attachments"

    submission_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("survey_submissions.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(String(32))


class AssignmentEntry(Base):
    """Where a household stands in the phones' assignment feed: its village, version, last change."""

    __tablename__ = "assignment_entries"
    __table_args__ = (Index("ix_assignment_entries_village_code_sequence", "village_code", "sequence"),)

    household_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    village_code: Mapped[str] = mapped_column(String(12))
    version: Mapped[int]
    removed: Mapped[bool] = mapped_column(default=False)
    sequence: Mapped[int]


class AssignmentTombstone(Base):
    """A household that left a village (moved away): the phones of that village must drop it."""

    __tablename__ = "assignment_tombstones"
    __table_args__ = (Index("ix_assignment_tombstones_village_code_sequence", "village_code", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    household_id: Mapped[uuid.UUID]
    village_code: Mapped[str] = mapped_column(String(12))
    sequence: Mapped[int]
