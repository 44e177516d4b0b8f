"""Subsidy tables: catalogue, funds, programs, applications, ledger, payments, batches, statements, feeds."""

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.kit.audit import AuditMixin
from services.kit.database import TYPE_ANNOTATION_MAP, BigIntId, Timestamped, new_metadata, utcnow
from services.kit.outbox import ConsumerCursorMixin, OutboxMixin


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


class Scheme(Timestamped, Base):
    """A program of the catalogue (扶贫项目目录): kind, who may receive it, required documents."""

    __tablename__ = "schemes"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    payee_kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(200))
    eligibility: Mapped[dict[str, Any]]
    required_documents: Mapped[list[Any]]
    description_zh: Mapped[str] = mapped_column(String(1000), default="")


class SchemeParameters(Base):
    """A scheme's policy numbers (政策参数) for a region from a date: caps, percentages, days, rates."""

    __tablename__ = "scheme_parameters"
    __table_args__ = (UniqueConstraint("scheme_code", "region_code", "effective_from"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    scheme_code: Mapped[str] = mapped_column(ForeignKey("schemes.code"), index=True)
    region_code: Mapped[str] = mapped_column(String(12))
    effective_from: Mapped[dt.date]
    values: Mapped[dict[str, Any]]
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))


class FundSource(Timestamped, Base):
    """Earmarked money a county received (资金来源), by document, usable only for its schemes (专款专用)."""

    __tablename__ = "fund_sources"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    county_code: Mapped[str] = mapped_column(String(12), index=True)
    year: Mapped[int]
    document_no: Mapped[str] = mapped_column(String(100))
    granted_fen: Mapped[int] = mapped_column(BigIntId)
    allowed_schemes: Mapped[list[Any]]
    created_by: Mapped[str] = mapped_column(String(64))


class Program(Timestamped, Base):
    """A program run by a county in a year (扶贫项目), funded from one fund source (专款专用)."""

    __tablename__ = "programs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    scheme_code: Mapped[str | None] = mapped_column(ForeignKey("schemes.code"), index=True)
    fund_source: Mapped[str] = mapped_column(ForeignKey("fund_sources.code"), index=True)
    county_code: Mapped[str] = mapped_column(String(12))
    year: Mapped[int]
    budget_fen: Mapped[int] = mapped_column(BigIntId)


class HouseholdAllowance(Base):
    """How much of a scheme's cap a household has used in a period, a year or 'total' (补助额度)."""

    __tablename__ = "household_allowances"

    scheme_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    used_fen: Mapped[int] = mapped_column(BigIntId, default=0)


class Application(Timestamped, Base):
    """A household project application (一户一增收 / 住房建设) from submission to acceptance (002 篇1)."""

    __tablename__ = "applications"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    program_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programs.id"), index=True)
    household_id: Mapped[uuid.UUID] = mapped_column(index=True)
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    project_name: Mapped[str] = mapped_column(String(200))
    partner: Mapped[str] = mapped_column(String(200))
    village_arranged: Mapped[bool]
    requested_fen: Mapped[int] = mapped_column(BigIntId)
    approved_fen: Mapped[int | None] = mapped_column(BigIntId)
    documents: Mapped[list[Any]]
    status: Mapped[str] = mapped_column(String(24), index=True)
    village_review: Mapped[dict[str, Any] | None]
    eligibility_basis: Mapped[str] = mapped_column(String(300), default="")
    approved_on: Mapped[dt.date | None]
    notice_ends_on: Mapped[dt.date | None]
    started_on: Mapped[dt.date | None]
    acceptance_requested_on: Mapped[dt.date | None]
    village_check_due: Mapped[dt.date | None]
    village_checked_on: Mapped[dt.date | None]
    village_checker: Mapped[str | None] = mapped_column(String(200))
    township_check_due: Mapped[dt.date | None]
    township_checked_on: Mapped[dt.date | None]
    county_checked_on: Mapped[dt.date | None]
    final_payment_due: Mapped[dt.date | None]
    closed_reason: Mapped[str | None] = mapped_column(String(300))
    created_by: Mapped[str] = mapped_column(String(64))


class Enrolment(Timestamped, Base):
    """A poor person in a subsidised job (公益性岗位 / 旅游岗位), paid each month the contract runs."""

    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("program_id", "member_id", "contract_start"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    program_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programs.id"), index=True)
    household_id: Mapped[uuid.UUID] = mapped_column(index=True)
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    member_id: Mapped[uuid.UUID]
    employer: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(100))
    contract_start: Mapped[dt.date]
    contract_end: Mapped[dt.date]
    monthly_fen: Mapped[int] = mapped_column(BigIntId)
    created_by: Mapped[str] = mapped_column(String(64))


class Loan(Timestamped, Base):
    """A micro-loan reported by a partner bank (扶贫小额贷款) and the interest subsidy it earns (贴息)."""

    __tablename__ = "loans"
    __table_args__ = (UniqueConstraint("reported_by", "loan_reference"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    reported_by: Mapped[str] = mapped_column(String(64))
    loan_reference: Mapped[str] = mapped_column(String(64))
    request_hash: Mapped[str] = mapped_column(String(64))
    program_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programs.id"), index=True)
    household_id: Mapped[uuid.UUID] = mapped_column(index=True)
    village_code: Mapped[str] = mapped_column(String(12))
    borrower_name: Mapped[str] = mapped_column(String(100))
    borrower_id_masked: Mapped[str] = mapped_column(String(18))
    principal_fen: Mapped[int] = mapped_column(BigIntId)
    annual_rate_bp: Mapped[int]
    start_date: Mapped[dt.date]
    maturity_date: Mapped[dt.date]
    subsidy_fen: Mapped[int] = mapped_column(BigIntId)
    payment_id: Mapped[uuid.UUID | None]


class LedgerTransaction(Base):
    """A balanced set of ledger entries; never changed, only reversed (once) by another transaction."""

    __tablename__ = "ledger_transactions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(32))
    memo: Mapped[str] = mapped_column(String(200))
    reverses_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_transactions.id"), unique=True)
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
    payment_id: Mapped[uuid.UUID | None]


class AccountBalance(Base):
    """Running balance per account, updated with each entry; budget accounts may not go below zero."""

    __tablename__ = "account_balances"

    account: Mapped[str] = mapped_column(String(100), primary_key=True)
    balance_fen: Mapped[int] = mapped_column(BigIntId, default=0)


class PaymentBatch(Timestamped, Base):
    """A disbursement envelope sent to the bank at once, with its control totals (笔数、金额合计)."""

    __tablename__ = "payment_batches"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    item_count: Mapped[int]
    total_fen: Mapped[int] = mapped_column(BigIntId)
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[dt.datetime | None]
    accepted_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(200))


class Payment(Timestamped, Base):
    """A payment of one entitlement to a household's own account (一卡通); its id is the bank's key."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        # Never two live payments for one entitlement; a failed one may be re-issued (专款不重复发放).
        Index(
            "uq_payments_live_entitlement",
            "program_id",
            "household_id",
            "entitlement_key",
            unique=True,
            postgresql_where=text("status <> 'failed'"),
            sqlite_where=text("status <> 'failed'"),
        ),
        # The dispatcher claims the oldest queued payments in (time, id) order straight off this index;
        # a month run queues thousands at one instant, and without `id` each claim sorted them all.
        Index("ix_payments_status_next_attempt_at_id", "status", "next_attempt_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    idempotency_key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    program_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programs.id"), index=True)
    household_id: Mapped[uuid.UUID] = mapped_column(index=True)
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    entitlement_key: Mapped[str] = mapped_column(String(200))
    application_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    reissue_of: Mapped[uuid.UUID | None]
    period: Mapped[str | None] = mapped_column(String(7))
    amount_fen: Mapped[int] = mapped_column(BigIntId)
    status: Mapped[str] = mapped_column(String(16))
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    bank_reference: Mapped[str | None] = mapped_column(String(64))
    batch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payment_batches.id"), index=True)
    payee_name: Mapped[str | None] = mapped_column(String(200))
    payee_bank: Mapped[str | None] = mapped_column(String(100))
    payee_account: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    settled_at: Mapped[dt.datetime | None]
    reconciled_at: Mapped[dt.datetime | None]
    created_by: Mapped[str] = mapped_column(String(64))


class Payee(Base):
    """A household's payee (一卡通) as last fetched from the registry; dropped when the household changes."""

    __tablename__ = "payees"

    household_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    account_name: Mapped[str] = mapped_column(String(200))
    bank_name: Mapped[str] = mapped_column(String(100))
    account_number: Mapped[str] = mapped_column(String(64))
    fetched_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class BankCallback(Base):
    """A bank status callback, kept once per callback id (replays are recognised and ignored)."""

    __tablename__ = "bank_callbacks"

    webhook_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    payment_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    payload: Mapped[dict[str, Any]]
    outcome: Mapped[str] = mapped_column(String(32))


class BankStatement(Base):
    """A bank statement imported for reconciliation (银行对账单): CSV or ISO 20022 camt.053."""

    __tablename__ = "bank_statements"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    format: Mapped[str] = mapped_column(String(16))
    statement_ref: Mapped[str] = mapped_column(String(64))
    file_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    line_count: Mapped[int]
    total_fen: Mapped[int] = mapped_column(BigIntId)
    booked_until: Mapped[dt.date | None]
    summary: Mapped[dict[str, Any]]
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(64))


class StatementLine(Base):
    """One booked transfer of a statement and what reconciliation made of it."""

    __tablename__ = "statement_lines"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    statement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bank_statements.id"), index=True)
    end_to_end_id: Mapped[str] = mapped_column(String(64), index=True)
    amount_fen: Mapped[int] = mapped_column(BigIntId)
    booked_on: Mapped[dt.date | None]
    bank_reference: Mapped[str | None] = mapped_column(String(64))
    payment_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    outcome: Mapped[str] = mapped_column(String(24), index=True)


class Beneficiary(Base):
    """A household's latest assessment, projected from the eligibility feed."""

    __tablename__ = "beneficiaries"

    household_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    household_version: Mapped[int]
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    poor: Mapped[bool]
    category: Mapped[str] = mapped_column(String(16))
    flags: Mapped[list[Any]] = mapped_column(default=list)
    policy_code: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[int]
    assessed_at: Mapped[dt.datetime]


class HouseholdStatus(Base):
    """A household's registry status and exit year (建档立卡 / 脱贫), projected from the registry feed."""

    __tablename__ = "household_statuses"

    household_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    household_version: Mapped[int]
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    status: Mapped[str] = mapped_column(String(16))
    exit_year: Mapped[int | None]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AuditRecord(AuditMixin, Base):
    """Every money action: who, when, what, why (hash-chained)."""

    __tablename__ = "audit_records"


class OutboxEvent(OutboxMixin, Base):
    """The payment feed."""

    __tablename__ = "outbox_events"


class ConsumerCursor(ConsumerCursorMixin, Base):
    """How far this service has applied the eligibility and registry feeds."""

    __tablename__ = "consumer_cursors"
