"""Subsidy tables: programs, the double-entry ledger, payments, bank callbacks, beneficiaries, feeds."""

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.kit.audit import AuditMixin
from services.kit.database import TYPE_ANNOTATION_MAP, BigIntId, Timestamped, new_metadata, utcnow
from services.kit.outbox import ConsumerCursorMixin, OutboxMixin


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


class Program(Timestamped, Base):
    """A subsidy program (扶贫项目) with its earmarked fund source (专款专用) and yearly budget."""

    __tablename__ = "programs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    fund_source: Mapped[str] = mapped_column(String(64))
    county_code: Mapped[str] = mapped_column(String(12))
    year: Mapped[int]
    budget_fen: Mapped[int] = mapped_column(BigIntId)


class LedgerTransaction(Base):
    """A balanced set of ledger entries; never changed, only reversed by another transaction."""

    __tablename__ = "ledger_transactions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(32))
    memo: Mapped[str] = mapped_column(String(200))
    reverses_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_transactions.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    request_id: Mapped[str] = mapped_column(String(128), default="-")


class LedgerEntry(Base):
    """One leg of a transaction: a signed amount in fen on an account, tagged by program and household."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    transaction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    account: Mapped[str] = mapped_column(String(100), index=True)
    amount_fen: Mapped[int] = mapped_column(BigIntId)
    program_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    household_id: Mapped[uuid.UUID | None] = mapped_column(index=True)


class AccountBalance(Base):
    """Running balance per account, updated with each entry; budget accounts may not go below zero."""

    __tablename__ = "account_balances"

    account: Mapped[str] = mapped_column(String(100), primary_key=True)
    balance_fen: Mapped[int] = mapped_column(BigIntId, default=0)


class Payment(Timestamped, Base):
    """A payment to a household's own account (一卡通); its id is the bank's idempotency key."""

    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("idempotency_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    idempotency_key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    program_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programs.id"), index=True)
    household_id: Mapped[uuid.UUID] = mapped_column(index=True)
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    amount_fen: Mapped[int] = mapped_column(BigIntId)
    status: Mapped[str] = mapped_column(String(16), index=True)
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    bank_reference: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    settled_at: Mapped[dt.datetime | None]
    created_by: Mapped[str] = mapped_column(String(64))


class BankCallback(Base):
    """A bank status callback, kept once per callback id (replays are recognised and ignored)."""

    __tablename__ = "bank_callbacks"

    webhook_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    payment_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    payload: Mapped[dict[str, Any]]
    outcome: Mapped[str] = mapped_column(String(32))


class Beneficiary(Base):
    """A household's latest assessment, projected from the eligibility feed."""

    __tablename__ = "beneficiaries"

    household_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    household_version: Mapped[int]
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    poor: Mapped[bool]
    category: Mapped[str] = mapped_column(String(16))
    policy_code: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[int]
    assessed_at: Mapped[dt.datetime]


class AuditRecord(AuditMixin, Base):
    """Every money action: who, when, what, why (hash-chained)."""

    __tablename__ = "audit_records"


class OutboxEvent(OutboxMixin, Base):
    """The payment feed."""

    __tablename__ = "outbox_events"


class ConsumerCursor(ConsumerCursorMixin, Base):
    """How far this service has applied the eligibility feed."""

    __tablename__ = "consumer_cursors"
