"""Case rules: each step by the roles its seed names, in order, timestamped with the acting user.

A case closes completed (the household takes the workflow's status) or rejected (an objection was
upheld, or the deliberation did not approve), with its reasons kept.
"""

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import record_audit
from services.kit.auth import ROLE_LABELS_ZH, Principal, Role
from services.kit.errors import Conflict, FieldError, Forbidden, NotFound, Unprocessable
from services.registry.assessments import repository as assessments
from services.registry.cases import repository
from services.registry.cases.workflow import WORKFLOWS, Step, Via, Workflow
from services.registry.clock import Clock
from services.registry.concurrency import ensure_current
from services.registry.households import service as households
from services.registry.models import AuditRecord, Case, CaseStep, Household
from services.registry.parameters import service as parameters
from services.registry.schemas import CaseBrief, CaseOpen, CaseOut, CaseStepOut, StepDone
from services.registry.vocabulary import CaseKind, CaseStatus, HouseholdCategory, HouseholdStatus

NOT_FOUND = ("Case not found.", "未找到该办理事项。")
POOR_CATEGORIES = {HouseholdCategory.GENERAL_POOR, HouseholdCategory.DIBAO_POOR, HouseholdCategory.WUBAO}


def workflow_of(case: Case) -> Workflow:
    return WORKFLOWS[CaseKind(case.kind)]


def role_label(role: str) -> str:
    return ROLE_LABELS_ZH[Role(role)] if role in Role.__members__.values() else role


def acting_role(principal: Principal, step: Step) -> str:
    """The role in which the principal does the step (403 if none of theirs may)."""
    for role in step.roles:
        if principal.has_role(role):
            return role.value
    if principal.is_admin:
        return Role.ADMIN.value
    roles_zh = "、".join(ROLE_LABELS_ZH[role] for role in step.roles)
    raise Forbidden(
        f"The step {step.code} is done by {', '.join(step.roles)}.",
        f"“{step.label_zh}”须由{roles_zh}办理。",
        code="wrong_role_for_step",
    )


def _reviewer_role(principal: Principal) -> str:
    for role in (Role.COUNTY_APPROVER, Role.TOWNSHIP_REVIEWER):
        if principal.has_role(role):
            return role.value
    return Role.ADMIN.value


def case_out(case: Case, steps: Sequence[CaseStep]) -> CaseOut:
    workflow = workflow_of(case)
    pending = workflow.step(case.step) if case.status == CaseStatus.OPEN else None
    return CaseOut(
        id=case.id,
        kind=case.kind,
        kind_label=CaseKind(case.kind).label_zh,
        household_id=case.household_id,
        village_code=case.village_code,
        status=case.status,
        status_label=CaseStatus(case.status).label_zh,
        step=pending.code if pending else None,
        step_label=pending.label_zh if pending else None,
        step_roles=[role.value for role in pending.roles] if pending else [],
        notice_id=case.notice_id,
        opened_at=case.opened_at,
        opened_by=case.opened_by,
        closed_at=case.closed_at,
        outcome_reason=case.outcome_reason,
        version=case.version,
        details=case.details or {},
        steps=[
            CaseStepOut(
                step=step.step,
                step_label=(found.label_zh if (found := workflow.step(step.step)) else step.step),
                acted_at=step.acted_at,
                actor=step.actor,
                actor_name=step.actor_name,
                actor_role=step.actor_role,
                actor_role_label=role_label(step.actor_role),
                note=step.note,
                data=step.data or {},
            )
            for step in steps
        ],
    )


def case_brief(case: Case) -> CaseBrief:
    pending = workflow_of(case).step(case.step) if case.status == CaseStatus.OPEN else None
    return CaseBrief(
        id=case.id,
        kind=case.kind,
        kind_label=CaseKind(case.kind).label_zh,
        household_id=case.household_id,
        village_code=case.village_code,
        status=case.status,
        status_label=CaseStatus(case.status).label_zh,
        step=pending.code if pending else None,
        step_label=pending.label_zh if pending else None,
        opened_at=case.opened_at,
    )


async def read(session: AsyncSession, case: Case) -> CaseOut:
    return case_out(case, (await repository.steps(session, [case.id]))[case.id])


def _audit(
    session: AsyncSession, case: Case, principal: Principal, action: str, reason: str, **detail: Any
) -> None:
    record_audit(
        session,
        AuditRecord,
        actor=principal,
        action=action,
        entity_type="case",
        entity_id=str(case.id),
        reason=reason,
        detail={"kind": case.kind, "household_id": str(case.household_id), "version": case.version, **detail},
    )


async def check_can_open(session: AsyncSession, household: Household, kind: CaseKind) -> None:
    """409 unless the household's status lets this kind of case start (and, for an exit, it is ready)."""
    workflow = WORKFLOWS[kind]
    if HouseholdStatus(household.status) not in workflow.opens_from:
        raise Conflict(
            f"A {kind} case cannot start for a household that is {household.status}.",
            f"该户当前状态为“{HouseholdStatus(household.status).label_zh}”,不能办理{kind.label_zh}。",
            code="case_not_allowed",
        )
    if kind is CaseKind.EXIT:
        view = await assessments.get(session, household.id)
        if view is None or not view.exit_ready:
            raise Conflict(
                "The eligibility service has not found this household ready to exit "
                "(income stably above the line and 两不愁三保障 met).",
                "识别评估尚未认定该户达到脱贫标准(收入稳定超过扶贫标准且两不愁三保障)。",
                code="not_ready_to_exit",
            )


async def start(
    session: AsyncSession,
    household: Household,
    kind: CaseKind,
    *,
    principal: Principal,
    clock: Clock,
    note: str,
    details: dict[str, Any],
    annual_review_id: uuid.UUID | None = None,
    by_review: bool = False,
) -> Case:
    """Open a case and do its first step (the household is locked and allowed: see check_can_open).

    In an annual review the township or county reviewer files the first step for the household.
    """
    workflow = WORKFLOWS[kind]
    first = workflow.steps[0]
    role = _reviewer_role(principal) if by_review else acting_role(principal, first)
    now = clock.now()
    case = Case(
        kind=kind.value,
        household_id=household.id,
        village_code=household.village_code,
        status=CaseStatus.OPEN.value,
        step=first.code,
        opened_at=now,
        opened_by=principal.subject,
        annual_review_id=annual_review_id,
        details=details,
    )
    try:
        async with session.begin_nested():
            session.add(case)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "This household already has an open case.", "该户已有正在办理的事项。", code="case_already_open"
        ) from exc
    await _record_step(
        session, case, first, principal, role, note, {"household_version": household.version}, clock
    )
    _audit(session, case, principal, "case.open", note or first.label_zh)
    await _advance(session, case, first, principal, clock)
    return case


async def open_case(session: AsyncSession, body: CaseOpen, *, principal: Principal, clock: Clock) -> CaseOut:
    household = await households.visible_household(session, body.household_id, principal, for_update=True)
    if body.kind is CaseKind.REVOCATION and not body.reasons:
        raise Unprocessable(
            "A revocation states its reasons.",
            "清退须写明理由。",
            fields=[
                FieldError(loc=["body", "reasons"], message="at least one reason", message_zh="至少一条理由")
            ],
        )
    acting_role(principal, WORKFLOWS[body.kind].steps[0])
    await check_can_open(session, household, body.kind)
    details: dict[str, Any] = {"reasons": body.reasons} if body.reasons else {}
    case = await start(
        session, household, body.kind, principal=principal, clock=clock, note=body.note, details=details
    )
    return await read(session, case)


async def _record_step(
    session: AsyncSession,
    case: Case,
    step: Step,
    principal: Principal,
    role: str,
    note: str,
    data: dict[str, Any],
    clock: Clock,
) -> None:
    session.add(
        CaseStep(
            case_id=case.id,
            step=step.code,
            acted_at=clock.now(),
            actor=principal.subject,
            actor_name=principal.name,
            actor_role=role,
            note=note,
            # The case version orders the steps even when several share one instant.
            data={**data, "case_version": case.version},
        )
    )


async def _advance(session: AsyncSession, case: Case, done: Step, principal: Principal, clock: Clock) -> None:
    """Move past a done step; after the last one the household takes the workflow's status."""
    following = workflow_of(case).after(done.code)
    case.notice_id = None
    if following is not None:
        case.step = following.code
        case.version += 1
        await session.flush()
        return
    await _complete(session, case, principal, clock)


async def complete_step(
    session: AsyncSession,
    case: Case,
    step: Step,
    *,
    principal: Principal,
    role: str,
    note: str,
    data: dict[str, Any],
    clock: Clock,
) -> None:
    """Record `step` as done on a case waiting at it and move on (actions, deliberations, notices)."""
    assert case.step == step.code
    assert case.status == CaseStatus.OPEN
    await _record_step(session, case, step, principal, role, note, data, clock)
    await _advance(session, case, step, principal, clock)
    _audit(session, case, principal, "case.step", note or step.label_zh, step=step.code)


def _years_later(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


async def _complete(session: AsyncSession, case: Case, principal: Principal, clock: Clock) -> None:
    workflow = workflow_of(case)
    household = await households.visible_household(session, case.household_id, principal, for_update=True)
    today = clock.today()
    updates: dict[str, Any] = {}
    if workflow.completes_to is HouseholdStatus.REGISTERED:
        view = await assessments.get(session, household.id)
        if view is not None and view.poor and view.category in HouseholdCategory.__members__.values():
            updates["category"] = view.category
        elif HouseholdCategory(household.category) not in POOR_CATEGORIES:
            updates["category"] = HouseholdCategory.GENERAL_POOR.value
        updates.update(registered_on=today, exit_year=None, exited_on=None, grace_ends_on=None)
    elif workflow.completes_to is HouseholdStatus.EXITED:
        grace = await parameters.integer(session, "exit_grace_years", household.village_code, today)
        updates.update(exit_year=today.year, exited_on=today, grace_ends_on=_years_later(today, grace))
    elif workflow.completes_to is HouseholdStatus.REVOKED:
        updates.update(category=HouseholdCategory.NOT_POOR.value, grace_ends_on=None)
    case.status = CaseStatus.COMPLETED.value
    case.step = ""
    case.closed_at = clock.now()
    case.version += 1
    await households.change_status(
        session,
        household,
        workflow.completes_to,
        principal=principal,
        reason=f"{CaseKind(case.kind).label_zh}办结",
        case_id=case.id,
        updates=updates,
    )
    _audit(session, case, principal, "case.complete", f"{CaseKind(case.kind).label_zh}办结")


async def reject(
    session: AsyncSession, case: Case, *, principal: Principal, reason: str, clock: Clock
) -> None:
    """Close the case unsuccessfully: the household leaves it (an identification returns it to non-poor)."""
    workflow = workflow_of(case)
    case.status = CaseStatus.REJECTED.value
    case.outcome_reason = reason
    case.step = ""
    case.notice_id = None
    case.closed_at = clock.now()
    case.version += 1
    await session.flush()
    if workflow.rejected_to is not None:
        household = await households.visible_household(session, case.household_id, principal, for_update=True)
        if household.status != workflow.rejected_to:
            await households.change_status(
                session,
                household,
                workflow.rejected_to,
                principal=principal,
                reason=reason,
                case_id=case.id,
            )
    _audit(session, case, principal, "case.reject", reason)


async def act(
    session: AsyncSession, case_id: uuid.UUID, body: StepDone, *, principal: Principal, clock: Clock
) -> CaseOut:
    """Do the case's next step when it is an action of its own (not a deliberation or a notice)."""
    case = await repository.get(session, case_id, principal.region_prefixes(), for_update=True)
    if case is None:
        raise NotFound(*NOT_FOUND)
    if case.status != CaseStatus.OPEN:
        raise Conflict("The case is closed.", "该事项已办结。", code="case_closed")
    ensure_current(case, body.case_version, what="case", what_zh="办理事项")
    step = workflow_of(case).step(case.step)
    assert step is not None
    if body.step != step.code:
        raise Conflict(
            f"The case is waiting at {step.code}, not {body.step}.",
            f"该事项当前应办理“{step.label_zh}”。",
            code="wrong_step",
        )
    if step.via is not Via.ACTION:
        raise Conflict(
            f"The step {step.code} is done by a {step.via}.",
            f"“{step.label_zh}”须通过{'村级评议' if step.via is Via.DELIBERATION else '公示'}完成。",
            code="step_done_elsewhere",
        )
    role = acting_role(principal, step)
    data: dict[str, Any] = {}
    if body.document_no is not None:
        data["document_no"] = body.document_no
    if step.code == "survey":
        household = await households.visible_household(session, case.household_id, principal)
        data["household_version"] = household.version
    await complete_step(
        session, case, step, principal=principal, role=role, note=body.note, data=data, clock=clock
    )
    return await read(session, case)


async def get_case(session: AsyncSession, case_id: uuid.UUID, principal: Principal) -> CaseOut:
    case = await repository.get(session, case_id, principal.region_prefixes())
    if case is None:
        raise NotFound(*NOT_FOUND)
    return await read(session, case)


async def list_cases(
    session: AsyncSession,
    principal: Principal,
    *,
    village_code: str | None,
    kind: CaseKind | None,
    status: CaseStatus | None,
    step: str | None,
    limit: int,
    offset: int,
) -> list[CaseBrief]:
    cases = await repository.listing(
        session,
        principal.region_prefixes(),
        village_code=village_code,
        kind=kind.value if kind else None,
        status=status.value if status else None,
        step=step,
        limit=limit,
        offset=offset,
    )
    return [case_brief(case) for case in cases]
