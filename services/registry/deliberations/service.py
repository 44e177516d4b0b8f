"""Village deliberation (村级评议, 002 篇2 step 3): the meeting, its attendance, the ranking it voted on.

The ranking by score comes from the eligibility service (排队打分); each ranked household keeps the
assessment it was ranked by and that assessment's policy version.
"""

import uuid
from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility import contract as eligibility
from services.kit.audit import record_audit
from services.kit.auth import Principal
from services.kit.errors import Conflict, FieldError, NotFound, ServiceUnavailable, Unprocessable
from services.registry.assessments import repository as assessments
from services.registry.cases import repository as cases_repository
from services.registry.cases import service as cases
from services.registry.cases.workflow import IDENTIFICATION
from services.registry.clock import Clock
from services.registry.deliberations import repository
from services.registry.models import AuditRecord, Deliberation
from services.registry.parameters import service as parameters
from services.registry.schemas import DeliberationIn, DeliberationOut, RankedCase
from services.registry.vocabulary import CaseKind

Ranker = Callable[[str], Awaitable[eligibility.VillageRanking]]
STEP = IDENTIFICATION.step("village_deliberation")


async def _ranking(ranker: Ranker, village_code: str) -> eligibility.VillageRanking:
    try:
        return await ranker(village_code)
    except httpx.HTTPError as exc:
        raise ServiceUnavailable(
            "The eligibility service could not give the village ranking; try again.",
            "暂时无法从识别评估服务获取排队打分结果,请稍后重试。",
        ) from exc


async def deliberate(
    session: AsyncSession, body: DeliberationIn, *, principal: Principal, clock: Clock, ranker: Ranker
) -> DeliberationOut:
    assert STEP is not None
    if not principal.covers(body.village_code):
        raise NotFound("No such village in your regions.", "您的管辖范围内无此村。")
    role = cases.acting_role(principal, STEP)
    minimum = await parameters.integer(
        session, "deliberation_min_attendance", body.village_code, body.meeting_date
    )
    problems = []
    if body.attendance < minimum:
        problems.append(
            FieldError(
                loc=["body", "attendance"],
                message=f"at least {minimum} people attend a deliberation",
                message_zh=f"参加人数不少于{minimum}人",
            )
        )
    if body.meeting_date > clock.today():
        problems.append(
            FieldError(
                loc=["body", "meeting_date"],
                message="the meeting is in the future",
                message_zh="会议日期晚于今天",
            )
        )
    waiting = {
        case.id: case
        for case in await cases_repository.waiting(
            session, body.village_code, CaseKind.IDENTIFICATION.value, STEP.code
        )
    }
    rejected = {item.case_id: item.reason for item in body.rejected}
    problems.extend(
        FieldError(loc=["body", "rejected", n, "case_id"], message="not waiting for this deliberation")
        for n, item in enumerate(body.rejected)
        if item.case_id not in waiting
    )
    if problems:
        raise Unprocessable("The deliberation record is not valid.", "村级评议记录有误。", fields=problems)
    if not waiting:
        raise Conflict(
            "No household of this village is waiting for a deliberation.",
            "该村没有等待村级评议的农户。",
            code="nothing_to_deliberate",
        )
    ranking = await _ranking(ranker, body.village_code)
    ranked = {entry.household_id: entry for entry in ranking.households}
    unranked = [str(case.household_id) for case in waiting.values() if case.household_id not in ranked]
    if unranked:
        raise Conflict(
            f"Not yet assessed, so not ranked: {', '.join(unranked)}.",
            "部分农户尚未完成识别评估,无法排队打分。",
            code="not_ranked",
        )
    views = await assessments.many(session, [case.household_id for case in waiting.values()])
    rows: list[RankedCase] = []
    for case in sorted(waiting.values(), key=lambda c: ranked[c.household_id].rank):
        entry = ranked[case.household_id]
        view = views.get(case.household_id)
        rows.append(
            RankedCase(
                rank=entry.rank,
                case_id=case.id,
                household_id=case.household_id,
                household_version=entry.household_version,
                score=entry.score,
                category=entry.category,
                assessment_id=entry.assessment_id,
                policy_code=view.policy_code if view else None,
                policy_version=view.policy_version if view else None,
                approved=case.id not in rejected,
                reason=rejected.get(case.id),
            )
        )
    deliberation = Deliberation(
        village_code=body.village_code,
        meeting_date=body.meeting_date,
        attendance=body.attendance,
        chair=body.chair,
        convened_by=body.convened_by,
        minutes=body.minutes,
        recorded_by=principal.subject,
        recorded_at=clock.now(),
        ranking=[row.model_dump(mode="json") for row in rows],
    )
    session.add(deliberation)
    await session.flush()
    for row in rows:
        case = waiting[row.case_id]
        if not row.approved:
            await cases.reject(
                session, case, principal=principal, reason=f"村级评议未通过:{row.reason}", clock=clock
            )
            continue
        await cases.complete_step(
            session,
            case,
            STEP,
            principal=principal,
            role=role,
            note=f"村级评议通过,排名第{row.rank}",
            data={"deliberation_id": str(deliberation.id), "rank": row.rank, "score": row.score},
            clock=clock,
        )
    record_audit(
        session,
        AuditRecord,
        actor=principal,
        action="deliberation.record",
        entity_type="deliberation",
        entity_id=str(deliberation.id),
        reason=body.minutes or "村级评议",
        detail={"village_code": body.village_code, "attendance": body.attendance, "cases": len(rows)},
    )
    return DeliberationOut.model_validate(deliberation)


async def get(session: AsyncSession, deliberation_id: uuid.UUID, principal: Principal) -> DeliberationOut:
    found = await repository.get(session, deliberation_id, principal.region_prefixes())
    if found is None:
        raise NotFound("Deliberation not found.", "未找到该村级评议记录。")
    return DeliberationOut.model_validate(found)
