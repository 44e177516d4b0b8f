"""Registry tables: households (户), members (成员), survey submissions, audit trail, outbox."""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, Numeric, String, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.kit.audit import AuditMixin
from services.kit.database import TYPE_ANNOTATION_MAP, Timestamped, new_metadata, utcnow
from services.kit.outbox import OutboxMixin


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

    household: Mapped[Household] = relationship(back_populates="members", lazy="raise")


class SurveySubmission(Base):
    """A door-to-door survey (入户调查) as received; its client UUID makes resending harmless."""

    __tablename__ = "survey_submissions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    body_hash: Mapped[str] = mapped_column(String(64))
    household_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    household_version: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(16))
    submitted_by: Mapped[str] = mapped_column(String(64), index=True)
    device_id: Mapped[str] = mapped_column(String(128))
    captured_at: Mapped[dt.datetime]
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    result: Mapped[dict[str, Any]]


class AuditRecord(AuditMixin, Base):
    """Every change in the registry: who, when, what, why (hash-chained)."""

    __tablename__ = "audit_records"


class OutboxEvent(OutboxMixin, Base):
    """The household change feed, written in the same transaction as the change."""

    __tablename__ = "outbox_events"
