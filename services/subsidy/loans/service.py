"""Interest subsidy on start-up micro-loans (创业贴息, seed 000 二、7).

A partner bank reports a loan; a loan of at most 50,000 yuan (5万以下) to a registered household
earns 50% of its interest for at most its first 2 years, computed on the contract (simple interest,
actual days / 365, rounded down to the fen so nobody is overpaid), and paid once per loan.
"""

import datetime as dt
import hashlib
import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.cn import ric

from services.kit.audit import record_audit
from services.kit.auth import Principal
from services.kit.errors import Conflict, Unprocessable
from services.kit.regions import county_of
from services.subsidy.entitlements import repository as households
from services.subsidy.entitlements import service as entitlements
from services.subsidy.jobs.service import add_years
from services.subsidy.loans import repository
from services.subsidy.models import AuditRecord, Loan
from services.subsidy.payments.service import queue_payment
from services.subsidy.programs import repository as programs
from services.subsidy.schemas import LoanReport

SCHEME = "startup-loan-interest"


def interest_subsidy(
    principal_fen: int, rate_bp: int, start: dt.date, maturity: dt.date, years: int, share_percent: int
) -> int:
    covered_until = min(maturity, add_years(start, years))
    days = max((covered_until - start).days, 0)
    return principal_fen * rate_bp * days * share_percent // (10_000 * 365 * 100)


def mask_id_number(number: str) -> str:
    return number[:6] + "*" * 8 + number[-4:]


async def report_loan(session: AsyncSession, body: LoanReport, *, bank: Principal) -> tuple[Loan, bool]:
    digest = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    existing = await repository.by_reference(session, bank.subject, body.loan_reference)
    if existing is not None:
        if existing.request_hash != digest:
            raise Conflict(
                "This loan was reported with other terms.",
                "该笔贷款已按不同条件报送。",
                code="loan_reference_reused",
            )
        return existing, False
    if not ric.is_valid(body.borrower_id_number.upper()):
        raise Unprocessable(
            "The borrower's ID number is not valid.", "借款人身份证号码无效。", code="invalid_id_number"
        )
    if body.maturity_date <= body.start_date:
        raise Unprocessable("The loan matures before it starts.", "贷款到期日早于发放日。")
    status = await households.household_status(session, body.household_id)
    village = status.village_code if status else None
    program = (
        await programs.for_scheme(session, SCHEME, county_of(village), body.start_date.year)
        if village
        else None
    )
    if program is None:
        raise Unprocessable(
            "No interest-subsidy program for this household's county and year.",
            "该户所在县当年未设创业贷款贴息项目,或该户未建档立卡。",
            code="not_eligible",
        )
    rules = await entitlements.program_rules(session, program, body.start_date)
    assert rules is not None
    household = await entitlements.eligible_household(session, program, rules, body.household_id, None)
    cap = rules.require("max_principal_fen")
    if body.principal_fen > cap:
        raise Unprocessable(
            f"Only loans of at most {cap} fen earn the subsidy.",
            f"仅{cap / 1_000_000:.0f}万元以下的小额贷款享受贴息。",
            code="loan_too_large",
        )
    subsidy = interest_subsidy(
        body.principal_fen,
        body.annual_rate_bp,
        body.start_date,
        body.maturity_date,
        rules.require("subsidy_years"),
        rules.require("interest_share_percent"),
    )
    loan = Loan(
        id=uuid.uuid4(),
        reported_by=bank.subject,
        loan_reference=body.loan_reference,
        request_hash=digest,
        program_id=program.id,
        household_id=body.household_id,
        village_code=household.village_code,
        borrower_name=body.borrower_name,
        borrower_id_masked=mask_id_number(body.borrower_id_number),
        principal_fen=body.principal_fen,
        annual_rate_bp=body.annual_rate_bp,
        start_date=body.start_date,
        maturity_date=body.maturity_date,
        subsidy_fen=subsidy,
    )
    try:
        async with session.begin_nested():
            session.add(loan)
            await session.flush()
    except IntegrityError:
        existing = await repository.by_reference(session, bank.subject, body.loan_reference)
        if existing is None or existing.request_hash != digest:
            raise Conflict("This loan was reported with other terms.", "该笔贷款已按不同条件报送。") from None
        return existing, False
    if subsidy > 0:
        await entitlements.use_caps(session, rules, program, body.household_id, subsidy)
        key = f"loan:{loan.id}"
        created = await queue_payment(
            session,
            program=program,
            household_id=body.household_id,
            village_code=household.village_code,
            amount_fen=subsidy,
            entitlement_key=key,
            idempotency_key=key,
            request_hash=hashlib.sha256(key.encode()).hexdigest(),
            created_by=bank.subject,
        )
        loan.payment_id = created.payment.id
    record_audit(
        session,
        AuditRecord,
        actor=bank,
        action="loan.report",
        entity_type="loan",
        entity_id=str(loan.id),
        detail={**body.model_dump(mode="json", exclude={"borrower_id_number"}), "subsidy_fen": subsidy},
    )
    return loan, True
