"""Subsidy request and response bodies."""

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import Field

from services.kit.schemas import DivisionCode, RequestModel, ResponseModel

MAX_FEN = 10_000_000_000
"""The largest amount one payment or statement line may carry: 100 million yuan, in fen."""
# Strict: JSON true or 100.0 is not an amount (lax mode would read true as 1 fen).
PositiveFen = Annotated[int, Field(strict=True, gt=0, le=MAX_FEN, description="amount in fen (分)")]
Code = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")]
ProgramKind = Literal["one_off", "monthly", "per_unit", "staged_project", "interest_subsidy"]
Text200 = Annotated[str, Field(min_length=1, max_length=200)]


class SchemeOut(ResponseModel):
    """A catalogue program with the parameters in force for the region and date asked."""

    code: str
    name_zh: str
    name_en: str
    kind: str
    payee_kind: str
    source: str
    description_zh: str
    eligibility: dict[str, Any]
    required_documents: list[dict[str, str]]
    parameters: dict[str, Any]
    parameters_region: str | None
    parameters_effective_from: dt.date | None


class ParametersCreate(RequestModel):
    """A new version of a scheme's numbers for a region, in force from a date (政策参数调整)."""

    region_code: DivisionCode
    effective_from: dt.date
    values: dict[str, int | bool | str | list[list[int]]]
    note: Annotated[str, Field(max_length=500)] = ""


class ParametersOut(ResponseModel):
    scheme_code: str
    region_code: str
    effective_from: dt.date
    values: dict[str, Any]
    note: str
    created_by: str


class FundSourceCreate(RequestModel):
    """Earmarked money a county received, by document (资金来源,如中央财政专项扶贫资金)."""

    code: Code
    name_zh: Text200
    level: Literal["central", "provincial", "municipal", "county", "other"]
    county_code: DivisionCode
    year: Annotated[int, Field(ge=2000, le=2100)]
    document_no: Annotated[str, Field(min_length=1, max_length=100)]
    granted_fen: PositiveFen
    allowed_schemes: list[Code] = Field(default_factory=list, description="empty: any scheme")


class FundSourceOut(ResponseModel):
    code: str
    name_zh: str
    level: str
    county_code: str
    year: int
    document_no: str
    granted_fen: int
    allowed_schemes: list[str]
    unallocated_fen: int


class ProgramCreate(RequestModel):
    """A program a county runs in a year, with its budget drawn from one fund source (专款专用)."""

    code: Code
    name_zh: Text200
    kind: ProgramKind
    scheme_code: Code | None = Field(default=None, description="catalogue program whose rules apply")
    fund_source: Code
    county_code: DivisionCode
    year: Annotated[int, Field(ge=2000, le=2100)]
    budget_fen: PositiveFen


class ProgramOut(ResponseModel):
    id: uuid.UUID
    code: str
    name_zh: str
    kind: str
    scheme_code: str | None
    fund_source: str
    county_code: str
    year: int
    budget_fen: int
    remaining_fen: int
    reserved_fen: int
    committed_fen: int
    paid_fen: int


class PaymentCreate(RequestModel):
    """A payment of a program to a household; send an Idempotency-Key header with it."""

    program_id: uuid.UUID
    household_id: uuid.UUID
    amount_fen: PositiveFen
    member_id: uuid.UUID | None = Field(default=None, description="the person, for per-person programs")


class PaymentOut(ResponseModel):
    id: uuid.UUID
    program_id: uuid.UUID
    household_id: uuid.UUID
    amount_fen: int
    entitlement_key: str
    status: str
    status_label: str
    failure_reason: str | None
    bank_reference: str | None
    batch_id: uuid.UUID | None
    reissue_of: uuid.UUID | None
    created_at: dt.datetime
    settled_at: dt.datetime | None
    reconciled_at: dt.datetime | None


class BatchOut(ResponseModel):
    """A batch sent to the bank with its control totals."""

    id: uuid.UUID
    item_count: int
    total_fen: int
    status: str
    status_label: str
    attempts: int
    sent_at: dt.datetime | None
    accepted_at: dt.datetime | None
    last_error: str | None


class CallbackAck(ResponseModel):
    accepted: bool
    duplicate: bool = False
    applied: int = 0


class VillageReview(RequestModel):
    """The village deliberation (村级评议): who chaired, how many representatives, how many agreed."""

    chair_role: Literal["first_secretary", "party_secretary", "committee_director"]
    chair_name: Annotated[str, Field(min_length=1, max_length=50)]
    representatives: Annotated[int, Field(ge=1, le=1000)]
    in_favour: Annotated[int, Field(ge=0, le=1000)]
    held_on: dt.date


class ApplicationCreate(RequestModel):
    """A household's project application (一户一增收 / 住房建设); send an Idempotency-Key header."""

    program_id: uuid.UUID
    household_id: uuid.UUID
    project_name: Text200
    partner: Text200
    village_arranged: bool = False
    requested_fen: PositiveFen
    documents: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(max_length=30)


class TownshipDecision(RequestModel):
    """Township approval (乡镇审定) of the amount, or its refusal; the 3-day notice starts that day."""

    approve: bool
    approved_fen: PositiveFen | None = None
    decided_on: dt.date
    override_reason: Annotated[str, Field(max_length=300)] | None = Field(
        default=None,
        description="第四条(四): the township judged the household eligible though no flag says so",
    )
    note: Annotated[str, Field(max_length=300)] = ""


class StepDate(RequestModel):
    on: dt.date


class CheckResult(RequestModel):
    """An acceptance check (核查/核验) by the village, township or county."""

    on: dt.date
    passed: bool
    checker: Annotated[str, Field(min_length=1, max_length=200)]
    third_party: bool = Field(default=False, description="checked by a third party the township sent")
    note: Annotated[str, Field(max_length=300)] = ""


class ApplicationOut(ResponseModel):
    id: uuid.UUID
    program_id: uuid.UUID
    household_id: uuid.UUID
    village_code: str
    project_name: str
    partner: str
    village_arranged: bool
    requested_fen: int
    approved_fen: int | None
    documents: list[str]
    status: str
    status_label: str
    village_review: dict[str, Any] | None
    eligibility_basis: str
    approved_on: dt.date | None
    notice_ends_on: dt.date | None
    started_on: dt.date | None
    acceptance_requested_on: dt.date | None
    village_check_due: dt.date | None
    village_checked_on: dt.date | None
    township_check_due: dt.date | None
    township_checked_on: dt.date | None
    county_checked_on: dt.date | None
    final_payment_due: dt.date | None
    closed_reason: str | None
    payments: list[PaymentOut]


class OverdueStep(ResponseModel):
    """A step past its deadline (逾期事项)."""

    application_id: uuid.UUID
    household_id: uuid.UUID
    village_code: str
    step: str
    step_label: str
    due: dt.date
    days_overdue: int


class EnrolmentCreate(RequestModel):
    """A poor person in a subsidised job (公益性岗位 / 旅游岗位) under a contract."""

    household_id: uuid.UUID
    member_id: uuid.UUID
    employer: Text200
    position: Annotated[str, Field(min_length=1, max_length=100)]
    contract_start: dt.date
    contract_end: dt.date
    monthly_fen: PositiveFen


class EnrolmentOut(ResponseModel):
    id: uuid.UUID
    program_id: uuid.UUID
    household_id: uuid.UUID
    member_id: uuid.UUID
    employer: str
    position: str
    contract_start: dt.date
    contract_end: dt.date
    monthly_fen: int


class PeriodRunOut(ResponseModel):
    """What a monthly run created: payments new this time (a second run creates none)."""

    program_id: uuid.UUID
    period: str
    created: int
    total_fen: int
    already_paid_or_queued: int
    not_eligible: int


class LoanReport(RequestModel):
    """A micro-loan a partner bank granted to a registered household (扶贫小额贷款)."""

    loan_reference: Annotated[str, Field(min_length=1, max_length=64)]
    household_id: uuid.UUID
    borrower_name: Annotated[str, Field(min_length=1, max_length=100)]
    borrower_id_number: Annotated[str, Field(pattern=r"^[0-9]{17}[0-9Xx]$")]
    principal_fen: PositiveFen
    annual_rate_bp: Annotated[
        int, Field(gt=0, le=3600, description="annual rate in basis points: 435 = 4.35%")
    ]
    start_date: dt.date
    maturity_date: dt.date


class LoanOut(ResponseModel):
    id: uuid.UUID
    loan_reference: str
    household_id: uuid.UUID
    borrower_id_masked: str
    principal_fen: int
    annual_rate_bp: int
    start_date: dt.date
    maturity_date: dt.date
    subsidy_fen: int
    payment_id: uuid.UUID | None


class StatementOut(ResponseModel):
    """What reconciliation made of a statement (对账结果)."""

    id: uuid.UUID
    format: str
    statement_ref: str
    line_count: int
    total_fen: int
    summary: dict[str, Any]
    duplicate: bool = False


class MismatchOut(ResponseModel):
    """A difference between our records and the bank's statement (对账差异)."""

    kind: str
    kind_label: str
    end_to_end_id: str | None
    payment_id: uuid.UUID | None
    our_amount_fen: int | None
    bank_amount_fen: int | None
    our_status: str | None


class PaymentReportRow(ResponseModel):
    """Payments of one program in one village in one month (发放统计)."""

    program_code: str
    program_name_zh: str
    village_code: str
    month: str
    payments: int
    paid_count: int
    paid_fen: int
    pending_fen: int
    failed_count: int


class HouseholdLedgerLine(ResponseModel):
    """One money movement for a household (户台账)."""

    at: dt.datetime
    program_code: str
    program_name_zh: str
    kind: str
    kind_label: str
    amount_fen: int
    payment_id: uuid.UUID | None
    payment_status: str | None
    memo: str


class HouseholdLedgerOut(ResponseModel):
    household_id: uuid.UUID
    paid_fen: int
    in_flight_fen: int
    lines: list[HouseholdLedgerLine]
