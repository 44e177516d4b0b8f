"""Public notices (公示/公告): a village's list, masked, open for objections until its period ends.

Periods are counted as the Civil Code counts them (民法典 第二百零一条、第二百零三条): the day of posting
does not count, counting starts the next day, and the period ends at 24:00 of its last day in the
county's calendar. Objections may be lodged until then; the notice closes only afterwards, and only
when every objection is resolved.
"""

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import record_audit
from services.kit.auth import Principal, Role
from services.kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from services.registry.cases import repository as cases_repository
from services.registry.cases import service as cases
from services.registry.cases.workflow import WORKFLOWS, Step, Via
from services.registry.clock import Clock
from services.registry.concurrency import ensure_current
from services.registry.households import repository as households_repository
from services.registry.households import service as households
from services.registry.models import AuditRecord, NoticeEntry, Objection, PublicNotice
from services.registry.notices import repository
from services.registry.parameters import service as parameters
from services.registry.schemas import (
    NoticeClose,
    NoticeEntryOut,
    NoticeOut,
    NoticePost,
    ObjectionIn,
    ObjectionOut,
    ObjectionResolve,
)
from services.registry.vocabulary import (
    CaseKind,
    CaseStatus,
    HouseholdCategory,
    NoticeStatus,
    ObjectionStatus,
    PovertyCause,
    Relation,
)

NOT_FOUND = ("Notice not found.", "未找到该公示。")
LISTED, REMOVED, PASSED = "listed", "removed", "passed"
OUTCOME_LABELS = {LISTED: "公示中", REMOVED: "异议成立,已移出", PASSED: "公示无异议"}
OBJECTION_TAKERS = (Role.CADRE, Role.VILLAGE_OFFICER, Role.TOWNSHIP_REVIEWER, Role.COUNTY_APPROVER)
OBJECTION_JUDGES = (Role.TOWNSHIP_REVIEWER, Role.COUNTY_APPROVER)


def mask_name(name: str) -> str:
    """张小明 → 张*明, 李华 → 李*, 欧阳小明 → 欧**明: the first and last characters stay."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def period_end(clock: Clock, posted_at: dt.datetime, days: int) -> dt.datetime:
    """The instant a notice posted at `posted_at` for `days` days ends (24:00 of its last day)."""
    if days == 0:
        return posted_at
    first_day = clock.local(posted_at).date() + dt.timedelta(days=1)
    return clock.start_of_day(first_day + dt.timedelta(days=days))


def notice_step(kind: CaseKind, code: str) -> Step:
    step = WORKFLOWS[kind].step(code)
    if step is None or step.via is not Via.NOTICE:
        raise Unprocessable(
            f"{code} is not a notice step of a {kind} case.",
            f"“{code}”不是{kind.label_zh}的公示环节。",
            code="not_a_notice_step",
        )
    return step


def objection_out(objection: Objection) -> ObjectionOut:
    return ObjectionOut(
        id=objection.id,
        notice_id=objection.notice_id,
        case_id=objection.case_id,
        household_id=objection.household_id,
        lodged_at=objection.lodged_at,
        recorded_by=objection.recorded_by,
        objector=objection.objector,
        content=objection.content,
        status=objection.status,
        status_label=ObjectionStatus(objection.status).label_zh,
        resolution=objection.resolution,
        resolved_by=objection.resolved_by,
        resolved_at=objection.resolved_at,
    )


async def notice_out(session: AsyncSession, notice: PublicNotice) -> NoticeOut:
    kind = CaseKind(notice.case_kind)
    step = notice_step(kind, notice.step)
    return NoticeOut(
        id=notice.id,
        village_code=notice.village_code,
        title=notice.title,
        case_kind=notice.case_kind,
        case_kind_label=kind.label_zh,
        step=notice.step,
        step_label=step.label_zh,
        level=notice.level,
        online=notice.online,
        posted_at=notice.posted_at,
        posted_by=notice.posted_by,
        period_days=notice.period_days,
        ends_at=notice.ends_at,
        status=notice.status,
        status_label=NoticeStatus(notice.status).label_zh,
        closed_at=notice.closed_at,
        version=notice.version,
        entries=[
            NoticeEntryOut(
                position=entry.position,
                case_id=entry.case_id,
                household_id=entry.household_id,
                head_name_masked=entry.head_name_masked,
                head_id_masked=entry.head_id_masked,
                group_name=entry.group_name,
                member_count=entry.member_count,
                category=entry.category,
                category_label=HouseholdCategory(entry.category).label_zh,
                main_cause_label=PovertyCause(entry.main_cause).label_zh if entry.main_cause else None,
                outcome=entry.outcome,
                outcome_label=OUTCOME_LABELS[entry.outcome],
            )
            for entry in await repository.entries(session, notice.id)
        ],
        objections=[objection_out(o) for o in await repository.objections(session, notice.id)],
    )


def _audit(
    session: AsyncSession,
    principal: Principal,
    action: str,
    entity_id: uuid.UUID,
    reason: str,
    **detail: object,
) -> None:
    record_audit(
        session,
        AuditRecord,
        actor=principal,
        action=action,
        entity_type="notice",
        entity_id=str(entity_id),
        reason=reason,
        detail={key: str(value) for key, value in detail.items()},
    )


async def post(session: AsyncSession, body: NoticePost, *, principal: Principal, clock: Clock) -> NoticeOut:
    """List every case of the village waiting at this notice step; the period comes from the parameters."""
    step = notice_step(body.case_kind, body.step)
    if not principal.covers(body.village_code):
        raise NotFound("No such village in your regions.", "您的管辖范围内无此村。")
    cases.acting_role(principal, step)
    waiting = await cases_repository.waiting(session, body.village_code, body.case_kind.value, step.code)
    if not waiting:
        raise Conflict(
            "No case of this village is waiting for this notice.",
            f"该村没有等待“{step.label_zh}”的农户。",
            code="nothing_to_notice",
        )
    assert step.notice_days_key is not None
    assert step.notice_level is not None
    today = clock.today()
    days = await parameters.integer(session, step.notice_days_key, body.village_code, today)
    posted_at = clock.now()
    village_name = await repository.division_name(session, body.village_code) or body.village_code
    notice = PublicNotice(
        village_code=body.village_code,
        case_kind=body.case_kind.value,
        step=step.code,
        level=step.notice_level.value,
        online=step.online,
        title=f"{village_name}{today.year}年{body.case_kind.label_zh}{step.label_zh}",
        posted_at=posted_at,
        posted_by=principal.subject,
        period_days=days,
        ends_at=period_end(clock, posted_at, days),
        status=NoticeStatus.OPEN.value,
    )
    session.add(notice)
    await session.flush()
    for position, case in enumerate(waiting, start=1):
        household = await households.visible_household(session, case.household_id, principal)
        members = await households_repository.active_members(session, household.id)
        head = next(member for member in members if member.relation == Relation.HEAD)
        session.add(
            NoticeEntry(
                notice_id=notice.id,
                case_id=case.id,
                household_id=household.id,
                position=position,
                head_name_masked=mask_name(head.name),
                head_id_masked=head.id_number_masked,
                group_name=household.group_name,
                member_count=household.member_count,
                category=household.category,
                main_cause=household.main_cause,
                outcome=LISTED,
            )
        )
        case.notice_id = notice.id
        case.version += 1
    await session.flush()
    _audit(
        session, principal, "notice.post", notice.id, notice.title, cases=len(waiting), ends_at=notice.ends_at
    )
    return await notice_out(session, notice)


async def visible_notice(
    session: AsyncSession, notice_id: uuid.UUID, principal: Principal, *, for_update: bool = False
) -> PublicNotice:
    notice = await repository.get(session, notice_id, principal.region_prefixes(), for_update=for_update)
    if notice is None:
        raise NotFound(*NOT_FOUND)
    return notice


async def get_notice(session: AsyncSession, notice_id: uuid.UUID, principal: Principal | None) -> NoticeOut:
    """A notice within one's regions; an online notice (网上公示) is public, for anyone to read."""
    notice = await repository.get(session, notice_id, principal.region_prefixes() if principal else ("",))
    if notice is None or (principal is None and not notice.online):
        raise NotFound(*NOT_FOUND)
    return await notice_out(session, notice)


async def list_notices(
    session: AsyncSession,
    principal: Principal,
    village_code: str | None,
    status: NoticeStatus | None,
    limit: int,
) -> list[NoticeOut]:
    notices = await repository.listing(
        session, principal.region_prefixes(), village_code, status.value if status else None, limit
    )
    return [await notice_out(session, notice) for notice in notices]


async def lodge(
    session: AsyncSession, notice_id: uuid.UUID, body: ObjectionIn, *, principal: Principal, clock: Clock
) -> ObjectionOut:
    if not principal.has_role(*OBJECTION_TAKERS) and not principal.is_admin:
        raise Forbidden("Your role may not record objections.", "您的角色无权登记异议。")
    notice = await visible_notice(session, notice_id, principal, for_update=True)
    if notice.status != NoticeStatus.OPEN:
        raise Conflict("The notice is closed.", "该公示已结束。", code="notice_closed")
    if clock.now() >= notice.ends_at:
        raise Conflict(
            "The notice period has ended; objections are no longer taken.",
            "公示期已满,不再受理异议。",
            code="notice_period_over",
        )
    entry = next(
        (e for e in await repository.entries(session, notice.id) if e.household_id == body.household_id), None
    )
    if entry is None or entry.outcome != LISTED:
        raise NotFound("This household is not listed on the notice.", "该户不在本次公示名单中。")
    objection = Objection(
        notice_id=notice.id,
        entry_id=entry.id,
        case_id=entry.case_id,
        household_id=entry.household_id,
        lodged_at=clock.now(),
        recorded_by=principal.subject,
        objector=body.objector,
        content=body.content,
        status=ObjectionStatus.OPEN.value,
    )
    session.add(objection)
    await session.flush()
    _audit(session, principal, "objection.lodge", notice.id, body.content, objection_id=objection.id)
    return objection_out(objection)


async def resolve(
    session: AsyncSession,
    notice_id: uuid.UUID,
    objection_id: uuid.UUID,
    body: ObjectionResolve,
    *,
    principal: Principal,
    clock: Clock,
) -> ObjectionOut:
    """Upheld: the household leaves its case (rejected, with the reason); dismissed: it goes on."""
    if not principal.has_role(*OBJECTION_JUDGES) and not principal.is_admin:
        raise Forbidden(
            "Objections are resolved by township or county staff.", "异议须由乡镇或县级审核人处理。"
        )
    notice = await visible_notice(session, notice_id, principal, for_update=True)
    objection = await repository.objection(session, notice.id, objection_id, for_update=True)
    if objection is None:
        raise NotFound("Objection not found.", "未找到该异议。")
    if objection.status != ObjectionStatus.OPEN:
        raise Conflict("The objection is already resolved.", "该异议已处理。", code="objection_resolved")
    objection.status = (
        ObjectionStatus.UPHELD.value if body.outcome == "upheld" else ObjectionStatus.DISMISSED.value
    )
    objection.resolution = body.reason
    objection.resolved_by = principal.subject
    objection.resolved_at = clock.now()
    objection.version += 1
    if body.outcome == "upheld":
        entry = next(e for e in await repository.entries(session, notice.id) if e.id == objection.entry_id)
        entry.outcome = REMOVED
        case = await cases_repository.get(session, objection.case_id, ("",), for_update=True)
        if case is not None and case.status == CaseStatus.OPEN and case.notice_id == notice.id:
            await cases.reject(
                session, case, principal=principal, reason=f"公示异议成立:{body.reason}", clock=clock
            )
    await session.flush()
    _audit(
        session,
        principal,
        "objection.resolve",
        notice.id,
        body.reason,
        objection_id=objection.id,
        outcome=body.outcome,
    )
    return objection_out(objection)


async def close(
    session: AsyncSession, notice_id: uuid.UUID, body: NoticeClose, *, principal: Principal, clock: Clock
) -> NoticeOut:
    """End the notice after its period: every household still listed passes the step."""
    notice = await visible_notice(session, notice_id, principal, for_update=True)
    ensure_current(notice, body.notice_version, what="notice", what_zh="公示")
    if notice.status != NoticeStatus.OPEN:
        raise Conflict("The notice is closed.", "该公示已结束。", code="notice_closed")
    step = notice_step(CaseKind(notice.case_kind), notice.step)
    role = cases.acting_role(principal, step)
    if clock.now() < notice.ends_at:
        raise Conflict(
            f"The notice period runs until {notice.ends_at.isoformat()}.",
            f"公示期未满(至{clock.local(notice.ends_at):%Y-%m-%d %H:%M}止),不能结束公示。",
            code="notice_period_running",
        )
    if await repository.open_objections(session, notice.id):
        raise Conflict(
            "Every objection must be resolved before the notice closes.",
            "尚有未处理的异议,不能结束公示。",
            code="objections_open",
        )
    passed = {case.id: case for case in await cases_repository.on_notice(session, notice.id)}
    for entry in await repository.entries(session, notice.id):
        if entry.outcome == LISTED:
            entry.outcome = PASSED
    for case in passed.values():
        await cases.complete_step(
            session,
            case,
            step,
            principal=principal,
            role=role,
            note="公示期满无异议" if notice.period_days else "公告发布",
            data={"notice_id": str(notice.id)},
            clock=clock,
        )
    notice.status = NoticeStatus.CLOSED.value
    notice.closed_at = clock.now()
    notice.closed_by = principal.subject
    notice.version += 1
    await session.flush()
    _audit(session, principal, "notice.close", notice.id, notice.title, passed=len(passed))
    return await notice_out(session, notice)
