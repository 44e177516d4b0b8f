"""Monthly job programs (公益性岗位 100元/月, 旅游岗位 ≥200元/月): one payment per person per month.

A month's run is set-based: every enrolment whose contract covers part of the month gets one payment,
keyed `period:<YYYY-MM>:<enrolment>`; the unique index on live entitlements makes a second run (or
two runs racing) create nothing more. The budget is committed for the whole run at once, so a run
that does not fit the budget creates nothing.
"""

import calendar
import datetime as dt
import hashlib
import re
import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import record_audit
from services.kit.auth import Principal
from services.kit.database import utcnow
from services.kit.errors import Conflict, NotFound, Unprocessable
from services.subsidy.entitlements import service as entitlements
from services.subsidy.jobs import repository
from services.subsidy.ledger.service import Leg, budget_account, committed_account, post
from services.subsidy.models import AuditRecord, Enrolment, Program
from services.subsidy.payments.service import QUEUED, status_events
from services.subsidy.programs import repository as programs
from services.subsidy.schemas import EnrolmentCreate, PeriodRunOut

# ASCII digits only: "２０２６-03" would be the same month under another entitlement key, paid twice.
PERIOD = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
# The years a program can run in (ProgramCreate); contracts outside them are mistakes.
FIRST_YEAR, LAST_YEAR = 2000, 2100


async def monthly_program(session: AsyncSession, program_id: uuid.UUID, actor: Principal) -> Program:
    program = await programs.get(session, program_id)
    if (
        program is None
        or program.kind != "monthly"
        or program.scheme_code is None
        or not any(
            program.county_code[:6] == prefix[:6] or prefix == "" for prefix in actor.region_prefixes()
        )
    ):
        raise NotFound("Monthly program not found.", "未找到该按月发放项目。")
    return program


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


async def enrol(
    session: AsyncSession, program_id: uuid.UUID, body: EnrolmentCreate, *, actor: Principal
) -> Enrolment:
    if body.contract_start.year < FIRST_YEAR or body.contract_end.year > LAST_YEAR:
        raise Unprocessable(
            f"The contract must fall in the years {FIRST_YEAR} to {LAST_YEAR}.",
            f"合同期限须在 {FIRST_YEAR} 至 {LAST_YEAR} 年之间。",
        )
    program = await monthly_program(session, program_id, actor)
    rules = await entitlements.program_rules(session, program, body.contract_start)
    household = await entitlements.eligible_household(session, program, rules, body.household_id, actor)
    assert rules is not None
    if body.contract_end <= body.contract_start:
        raise Unprocessable("The contract ends before it starts.", "合同结束日期早于开始日期。")
    years = rules.number("min_contract_years")
    if years is not None and body.contract_end < add_years(body.contract_start, years):
        raise Unprocessable(
            f"The employer's contract must run at least {years} years.",
            f"须签订{years}年以上聘用合同。",
            code="contract_too_short",
        )
    fixed, low = rules.number("per_month_fen"), rules.number("min_per_month_fen")
    if fixed is not None and body.monthly_fen != fixed:
        raise Unprocessable(
            f"This program pays {fixed} fen a month.",
            f"该项目每月补助 {fixed / 100:.0f} 元。",
            code="amount_not_allowed",
        )
    if low is not None and body.monthly_fen < low:
        raise Unprocessable(
            f"This program pays at least {low} fen a month.",
            f"该项目每月补助不低于 {low / 100:.0f} 元。",
            code="amount_not_allowed",
        )
    enrolment = Enrolment(
        id=uuid.uuid4(),
        program_id=program.id,
        household_id=body.household_id,
        village_code=household.village_code,
        member_id=body.member_id,
        employer=body.employer,
        position=body.position,
        contract_start=body.contract_start,
        contract_end=body.contract_end,
        monthly_fen=body.monthly_fen,
        created_by=actor.subject,
    )
    try:
        async with session.begin_nested():
            session.add(enrolment)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "This person is already enrolled under this contract.", "该人员已按此合同登记。"
        ) from exc
    record_audit(
        session,
        AuditRecord,
        actor=actor,
        action="enrolment.create",
        entity_type="enrolment",
        entity_id=str(enrolment.id),
        detail=body.model_dump(mode="json"),
    )
    return enrolment


async def run_period(
    session: AsyncSession, program_id: uuid.UUID, period: str, *, actor: Principal
) -> PeriodRunOut:
    match = PERIOD.fullmatch(period)
    if match is None or not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        raise Unprocessable(
            f"The period is YYYY-MM, in the years {FIRST_YEAR} to {LAST_YEAR}.",
            f"期间格式应为 YYYY-MM,年份在 {FIRST_YEAR} 至 {LAST_YEAR} 之间。",
        )
    year, month = int(match.group(1)), int(match.group(2))
    first = dt.date(year, month, 1)
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    program = await monthly_program(session, program_id, actor)
    if year != program.year:
        raise Unprocessable("The period is outside the program's year.", "期间不在项目年度内。")
    rules = await entitlements.program_rules(session, program, first)
    assert rules is not None
    grace = rules.number("exited_grace_years")
    statuses = rules.scheme.eligibility.get("statuses", [])
    eligible, refused = await repository.active_in(
        session, program.id, first, last, statuses, None if grace is None else program.year - grace
    )
    now = utcnow()
    rows = [
        {
            "id": uuid.uuid4(),
            "idempotency_key": f"period:{program.id}:{period}:{enrolment_id}",
            "request_hash": hashlib.sha256(f"{program.id}:{period}:{enrolment_id}".encode()).hexdigest(),
            "program_id": program.id,
            "household_id": household_id,
            "village_code": village,
            "entitlement_key": f"period:{period}:{enrolment_id}",
            "period": period,
            "amount_fen": amount,
            "status": QUEUED,
            "attempts": 0,
            "next_attempt_at": now,
            "created_by": actor.subject,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        for enrolment_id, household_id, village, amount in eligible
    ]
    created = await repository.insert_new_payments(session, rows)
    total = sum(amount for _, _, amount in created)
    if created:
        legs = []
        for payment_id, household_id, amount in created:
            legs.append(Leg(budget_account(program.id), -amount, program.id, household_id, payment_id))
            legs.append(Leg(committed_account(program.id), amount, program.id, household_id, payment_id))
        await status_events(
            session,
            [
                (payment_id, household_id, amount, QUEUED, program.code)
                for payment_id, household_id, amount in created
            ],
        )
        await post(session, "payment_commitment", f"{program.code} {period}", legs)
    record_audit(
        session,
        AuditRecord,
        actor=actor,
        action="payment.period_run",
        entity_type="program",
        entity_id=str(program.id),
        detail={"period": period, "created": len(created), "total_fen": total},
    )
    return PeriodRunOut(
        program_id=program.id,
        period=period,
        created=len(created),
        total_fen=total,
        already_paid_or_queued=len(eligible) - len(created),
        not_eligible=refused,
    )
