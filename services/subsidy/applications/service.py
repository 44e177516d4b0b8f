"""Household project applications (一户一增收 / 住房建设), seed 002 篇1 第七至十六条.

submitted → village review (9–15 representatives, odd, ≥ 2/3 in favour) → township decision (caps
and budget reserved; 3-day notice) → project start (80% advance, 100% if the village committee
arranged it) → acceptance: village check within 15 days (a third party when the village is the
partner), township check within 15 days, county check → the remaining 20%.
"""

import datetime as dt
import hashlib
import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import record_audit
from services.kit.auth import Principal
from services.kit.errors import Conflict, NotFound, Unprocessable
from services.subsidy.applications import repository
from services.subsidy.catalogue.service import Rules
from services.subsidy.entitlements import service as entitlements
from services.subsidy.ledger.service import Leg, budget_account, post, reserved_account
from services.subsidy.models import Application, AuditRecord, Program
from services.subsidy.payments import repository as payments
from services.subsidy.payments.service import PAID, payment_out, queue_payment, require_idempotency_key
from services.subsidy.programs import repository as programs
from services.subsidy.schemas import (
    ApplicationCreate,
    ApplicationOut,
    CheckResult,
    OverdueStep,
    StepDate,
    TownshipDecision,
    VillageReview,
)

STATUS_LABELS = {
    "submitted": "已申报",
    "village_passed": "村级评议通过",
    "village_rejected": "村级评议未通过",
    "approved": "乡镇审定,公示中",
    "township_rejected": "乡镇不予审定",
    "in_progress": "项目实施中",
    "acceptance_requested": "已申请验收",
    "village_checked": "村级核查通过",
    "township_checked": "乡镇核验通过",
    "accepted": "县级核验通过",
    "check_failed": "核验未通过",
}
OVERDUE_LABELS = {
    "village_check": "村级核查逾期(15日内)",
    "township_check": "乡镇核验逾期(15日内)",
    "final_payment": "验收后拨付逾期",
}


async def application_out(session: AsyncSession, application: Application) -> ApplicationOut:
    return ApplicationOut(
        id=application.id,
        program_id=application.program_id,
        household_id=application.household_id,
        village_code=application.village_code,
        project_name=application.project_name,
        partner=application.partner,
        village_arranged=application.village_arranged,
        requested_fen=application.requested_fen,
        approved_fen=application.approved_fen,
        documents=list(application.documents),
        status=application.status,
        status_label=STATUS_LABELS[application.status],
        village_review=application.village_review,
        eligibility_basis=application.eligibility_basis,
        approved_on=application.approved_on,
        notice_ends_on=application.notice_ends_on,
        started_on=application.started_on,
        acceptance_requested_on=application.acceptance_requested_on,
        village_check_due=application.village_check_due,
        village_checked_on=application.village_checked_on,
        township_check_due=application.township_check_due,
        township_checked_on=application.township_checked_on,
        county_checked_on=application.county_checked_on,
        final_payment_due=application.final_payment_due,
        closed_reason=application.closed_reason,
        payments=[payment_out(p) for p in await payments.of_application(session, application.id)],
    )


def _not_future(on: dt.date) -> None:
    if on > dt.date.today():
        raise Unprocessable("The date is in the future.", "日期不能晚于今天。", code="date_in_future")


def _expect(application: Application, *statuses: str) -> None:
    if application.status not in statuses:
        raise Conflict(
            f"The application is {application.status}; this step needs {' or '.join(statuses)}.",
            f"申报当前状态为「{STATUS_LABELS[application.status]}」,不能进行此步骤。",
            code="wrong_step",
        )


async def load(session: AsyncSession, application_id: uuid.UUID, actor: Principal) -> Application:
    application = await repository.get(
        session,
        application_id,
        actor.region_prefixes(),
        for_update=session.get_bind().dialect.name == "postgresql",
    )
    if application is None:
        raise NotFound("Application not found.", "未找到该申报。")
    return application


async def _context(session: AsyncSession, application: Application, on: dt.date) -> tuple[Program, Rules]:
    program = await programs.get(session, application.program_id)
    assert program is not None
    rules = await entitlements.program_rules(session, program, on)
    assert rules is not None
    return program, rules


def _audit(
    session: AsyncSession, actor: Principal, application: Application, action: str, detail: dict[str, object]
) -> None:
    application.version += 1
    record_audit(
        session,
        AuditRecord,
        actor=actor,
        action=f"application.{action}",
        entity_type="application",
        entity_id=str(application.id),
        detail={
            key: str(value) if isinstance(value, dt.date | uuid.UUID) else value
            for key, value in detail.items()
        },
    )


async def submit(
    session: AsyncSession, body: ApplicationCreate, idempotency_key: str | None, *, actor: Principal
) -> tuple[Application, bool]:
    key = require_idempotency_key(idempotency_key)
    digest = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    existing = await repository.by_idempotency_key(session, key)
    if existing is not None:
        if existing.request_hash != digest:
            raise Conflict(
                "This Idempotency-Key was used for another application.", "该幂等键已用于另一份申报。"
            )
        return existing, False
    program = await programs.get(session, body.program_id)
    if program is None or program.kind != "staged_project" or program.scheme_code is None:
        raise NotFound("Project program not found.", "未找到该项目(须为分阶段拨付的到户项目)。")
    rules = await entitlements.program_rules(session, program, dt.date.today())
    assert rules is not None
    household = await entitlements.eligible_household(
        session,
        program,
        rules,
        body.household_id,
        actor,
        override_reason="to be judged by the township (第四条第四款)",
    )
    required = {document["code"] for document in rules.scheme.required_documents}
    missing = sorted(required - set(body.documents))
    if missing:
        names = {document["code"]: document["name_zh"] for document in rules.scheme.required_documents}
        raise Unprocessable(
            f"Documents missing: {', '.join(missing)}.",
            "缺少申报材料:" + "、".join(names[code] for code in missing),
            code="documents_missing",
        )
    for cap_key in ("max_per_household_year_fen", "max_per_household_total_fen"):
        cap = rules.number(cap_key)
        if cap is not None and body.requested_fen > cap:
            raise entitlements.CapExceeded(
                f"{body.requested_fen} fen is above the cap of {cap} fen.",
                f"申请金额超过补助上限 {cap / 100:.0f} 元。",
            )
    application = Application(
        id=uuid.uuid4(),
        idempotency_key=key,
        request_hash=digest,
        program_id=program.id,
        household_id=body.household_id,
        village_code=household.village_code,
        project_name=body.project_name,
        partner=body.partner,
        village_arranged=body.village_arranged,
        requested_fen=body.requested_fen,
        documents=sorted(set(body.documents)),
        status="submitted",
        created_by=actor.subject,
    )
    try:
        async with session.begin_nested():
            session.add(application)
            await session.flush()
    except IntegrityError:
        existing = await repository.by_idempotency_key(session, key)
        if existing is None or existing.request_hash != digest:
            raise Conflict(
                "This Idempotency-Key was used for another application.", "该幂等键已用于另一份申报。"
            ) from None
        return existing, False
    _audit(session, actor, application, "submit", body.model_dump(mode="json"))
    return application, True


async def village_review(
    session: AsyncSession, application_id: uuid.UUID, body: VillageReview, *, actor: Principal
) -> Application:
    """第九条: 9–15 representatives, an odd number; passes with at least two thirds in favour."""
    application = await load(session, application_id, actor)
    _expect(application, "submitted")
    _not_future(body.held_on)
    _, rules = await _context(session, application, body.held_on)
    low, high = rules.require("review_min_representatives"), rules.require("review_max_representatives")
    if not low <= body.representatives <= high or body.representatives % 2 == 0:
        raise Unprocessable(
            f"A village review needs an odd number of representatives from {low} to {high}.",
            f"村级评议代表须为 {low}–{high} 人且为单数。",
            code="review_invalid",
        )
    if body.in_favour > body.representatives:
        raise Unprocessable(
            "More votes in favour than representatives.", "同意人数多于代表人数。", code="review_invalid"
        )
    numerator, denominator = rules.require("review_pass_numerator"), rules.require("review_pass_denominator")
    passed = body.in_favour * denominator >= body.representatives * numerator
    application.village_review = {**body.model_dump(mode="json"), "passed": passed}
    application.status = "village_passed" if passed else "village_rejected"
    _audit(session, actor, application, "village_review", application.village_review)
    return application


async def township_decision(
    session: AsyncSession, application_id: uuid.UUID, body: TownshipDecision, *, actor: Principal
) -> Application:
    """第十一、十二条: the township decides; approving counts the caps and reserves the budget."""
    application = await load(session, application_id, actor)
    _expect(application, "village_passed")
    _not_future(body.decided_on)
    program, rules = await _context(session, application, body.decided_on)
    if not body.approve:
        application.status = "township_rejected"
        application.closed_reason = body.note or "乡镇不予审定"
        _audit(session, actor, application, "township_reject", body.model_dump(mode="json"))
        return application
    amount = body.approved_fen or application.requested_fen
    if amount > application.requested_fen:
        raise Unprocessable(
            "More than was requested.", "审定金额不能超过申请金额。", code="amount_not_allowed"
        )
    household = await entitlements.eligible_household(
        session, program, rules, application.household_id, actor, override_reason=body.override_reason
    )
    await entitlements.use_caps(session, rules, program, application.household_id, amount)
    await post(
        session,
        "application_reservation",
        f"application {application.id}",
        [
            Leg(budget_account(program.id), -amount, program.id, application.household_id),
            Leg(reserved_account(program.id), amount, program.id, application.household_id),
        ],
    )
    application.approved_fen = amount
    application.approved_on = body.decided_on
    application.notice_ends_on = body.decided_on + dt.timedelta(days=rules.require("notice_days") - 1)
    application.eligibility_basis = household.basis[:300]
    application.status = "approved"
    _audit(session, actor, application, "township_approve", body.model_dump(mode="json"))
    return application


async def _stage_payment(
    session: AsyncSession,
    application: Application,
    program: Program,
    rules: Rules,
    stage: str,
    amount: int,
    actor: Principal,
) -> None:
    await entitlements.check_caps_at_payment(session, rules, program, application.household_id, amount)
    approved = application.approved_fen or 0
    if await payments.live_for_application(session, application.id) + amount > approved:
        raise entitlements.CapExceeded(
            "Payments would exceed the approved amount.", "拨付金额将超过审定金额。"
        )
    key = f"application:{application.id}:{stage}"
    await queue_payment(
        session,
        program=program,
        household_id=application.household_id,
        village_code=application.village_code,
        amount_fen=amount,
        entitlement_key=key,
        idempotency_key=key,
        request_hash=hashlib.sha256(key.encode()).hexdigest(),
        created_by=actor.subject,
        from_account=reserved_account(program.id),
        application_id=application.id,
    )


async def start(
    session: AsyncSession, application_id: uuid.UUID, body: StepDate, *, actor: Principal
) -> Application:
    """第十二、十三条: after the 3-day notice the project starts and the advance is paid."""
    application = await load(session, application_id, actor)
    _expect(application, "approved")
    _not_future(body.on)
    assert application.notice_ends_on is not None
    assert application.approved_fen is not None
    if body.on <= application.notice_ends_on:
        raise Conflict(
            f"The notice runs until {application.notice_ends_on}.",
            f"公示期至 {application.notice_ends_on},公示期满后方可启动。",
            code="notice_not_over",
        )
    program, rules = await _context(session, application, body.on)
    percent = rules.require(
        "village_arranged_advance_percent" if application.village_arranged else "advance_percent"
    )
    advance = application.approved_fen * percent // 100
    await _stage_payment(session, application, program, rules, "advance", advance, actor)
    application.started_on = body.on
    application.status = "in_progress"
    _audit(session, actor, application, "start", {"on": body.on, "advance_fen": advance})
    return application


async def request_acceptance(
    session: AsyncSession, application_id: uuid.UUID, body: StepDate, *, actor: Principal
) -> Application:
    """第十四条: the household asks for acceptance; the village must check within 15 days."""
    application = await load(session, application_id, actor)
    _expect(application, "in_progress")
    _not_future(body.on)
    _, rules = await _context(session, application, body.on)
    application.acceptance_requested_on = body.on
    application.village_check_due = body.on + dt.timedelta(days=rules.require("village_check_days"))
    application.status = "acceptance_requested"
    _audit(session, actor, application, "acceptance_request", {"on": body.on})
    return application


async def _check_failed(
    session: AsyncSession, application: Application, program: Program, reason: str
) -> None:
    """A failed check closes the project: what was approved but not paid goes back to the budget."""
    approved = application.approved_fen or 0
    unpaid = approved - await payments.live_for_application(session, application.id)
    if unpaid > 0:
        await post(
            session,
            "application_release",
            f"application {application.id} failed acceptance",
            [
                Leg(reserved_account(program.id), -unpaid, program.id, application.household_id),
                Leg(budget_account(program.id), unpaid, program.id, application.household_id),
            ],
        )
        await entitlements.release_caps(
            session, program.scheme_code, program, application.household_id, unpaid
        )
    application.status = "check_failed"
    application.closed_reason = reason[:300]


async def village_check(
    session: AsyncSession, application_id: uuid.UUID, body: CheckResult, *, actor: Principal
) -> Application:
    """第十四、十五条: the village checks; when the village is the partner, a third party does."""
    application = await load(session, application_id, actor)
    _expect(application, "acceptance_requested")
    _not_future(body.on)
    if application.acceptance_requested_on and body.on < application.acceptance_requested_on:
        raise Unprocessable("The check predates the request.", "核查日期早于验收申请日期。")
    if application.village_arranged and not body.third_party:
        raise Unprocessable(
            "The village is the project's partner: the township must send a third party to check.",
            "项目合作对象为本村村委,须由乡镇指派第三方进行村级核验。",
            code="third_party_required",
        )
    program, rules = await _context(session, application, body.on)
    application.village_checked_on = body.on
    application.village_checker = body.checker
    if not body.passed:
        await _check_failed(session, application, program, f"村级核查未通过:{body.note}")
    else:
        application.township_check_due = body.on + dt.timedelta(days=rules.require("township_check_days"))
        application.status = "village_checked"
    _audit(session, actor, application, "village_check", body.model_dump(mode="json"))
    return application


async def township_check(
    session: AsyncSession, application_id: uuid.UUID, body: CheckResult, *, actor: Principal
) -> Application:
    application = await load(session, application_id, actor)
    _expect(application, "village_checked")
    _not_future(body.on)
    program, _ = await _context(session, application, body.on)
    application.township_checked_on = body.on
    if not body.passed:
        await _check_failed(session, application, program, f"乡镇核验未通过:{body.note}")
    else:
        application.status = "township_checked"
    _audit(session, actor, application, "township_check", body.model_dump(mode="json"))
    return application


async def county_check(
    session: AsyncSession, application_id: uuid.UUID, body: CheckResult, *, actor: Principal
) -> Application:
    """第十二条: after the county check the remaining 20% is paid (nothing left if 100% was advanced)."""
    application = await load(session, application_id, actor)
    _expect(application, "township_checked")
    _not_future(body.on)
    program, rules = await _context(session, application, body.on)
    application.county_checked_on = body.on
    if not body.passed:
        await _check_failed(session, application, program, f"县级核验未通过:{body.note}")
    else:
        remaining = (application.approved_fen or 0) - await payments.live_for_application(
            session, application.id
        )
        if remaining > 0:
            await _stage_payment(session, application, program, rules, "final", remaining, actor)
            due_days = rules.number("payment_due_days_after_acceptance")
            if due_days is not None:
                application.final_payment_due = body.on + dt.timedelta(days=due_days)
        application.status = "accepted"
    _audit(session, actor, application, "county_check", body.model_dump(mode="json"))
    return application


async def overdue_steps(session: AsyncSession, actor: Principal, as_of: dt.date) -> list[OverdueStep]:
    steps = []
    for application in await repository.overdue(session, actor.region_prefixes(), as_of):
        if application.status == "acceptance_requested":
            step, due = "village_check", application.village_check_due
        elif application.status == "village_checked":
            step, due = "township_check", application.township_check_due
        else:
            final = [
                p
                for p in await payments.of_application(session, application.id)
                if p.entitlement_key.endswith(":final")
            ]
            if any(p.status == PAID for p in final):
                continue
            step, due = "final_payment", application.final_payment_due
        assert due is not None
        steps.append(
            OverdueStep(
                application_id=application.id,
                household_id=application.household_id,
                village_code=application.village_code,
                step=step,
                step_label=OVERDUE_LABELS[step],
                due=due,
                days_overdue=(as_of - due).days,
            )
        )
    return steps
