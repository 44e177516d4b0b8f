"""Annual review (民主评退, 002 篇2: 每年1月31日前): propose entries and exits from the latest
assessments of a county or township, and open their cases in bulk.

Entries are households the eligibility service now finds poor but that are not registered; exits are
registered households it finds ready to exit. Each goes through its own case (three notices for an
entry, two notices and an announcement for an exit), as the seed requires.
"""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import record_audit
from services.kit.auth import Principal, Role
from services.kit.errors import AppError, Forbidden, NotFound, Unprocessable
from services.kit.regions import level_of, region_prefix
from services.registry.cases import service as cases
from services.registry.clock import Clock
from services.registry.households import service as households
from services.registry.models import AnnualReview, AnnualReviewItem, AuditRecord
from services.registry.parameters import service as parameters
from services.registry.reviews import repository
from services.registry.schemas import (
    AnnualReviewIn,
    AnnualReviewOut,
    ReviewItemOut,
    ReviewOpen,
    ReviewOpened,
    SkippedItem,
)
from services.registry.vocabulary import CaseKind

REVIEWERS = (Role.TOWNSHIP_REVIEWER, Role.COUNTY_APPROVER)
ENTRY, EXIT = "entry", "exit"
DIRECTION_LABELS = {ENTRY: "拟纳入", EXIT: "拟退出"}
NOT_FOUND = ("Annual review not found.", "未找到该年度动态调整。")


def _require_reviewer(principal: Principal) -> None:
    if not (principal.is_admin or principal.has_role(*REVIEWERS)):
        raise Forbidden(
            "Annual reviews are run by township or county staff.", "年度动态调整须由乡镇或县级工作人员办理。"
        )


async def review_out(session: AsyncSession, review: AnnualReview, clock: Clock) -> AnnualReviewOut:
    rows = [
        ReviewItemOut(
            household_id=item.household_id,
            village_code=item.village_code,
            head_name=head_name,
            direction=item.direction,
            direction_label=DIRECTION_LABELS[item.direction],
            household_version=item.household_version,
            per_capita_net_income_fen=item.per_capita_net_income_fen,
            policy_code=item.policy_code,
            policy_version=item.policy_version,
            case_id=item.case_id,
        )
        for item, head_name in await repository.items(session, review.id)
    ]
    held_on = clock.local(review.opened_at or review.created_at).date()
    return AnnualReviewOut(
        id=review.id,
        region_code=review.region_code,
        year=review.year,
        deadline=review.deadline,
        overdue=held_on > review.deadline,
        created_by=review.created_by,
        created_at=review.created_at,
        opened_at=review.opened_at,
        entries=[row for row in rows if row.direction == ENTRY],
        exits=[row for row in rows if row.direction == EXIT],
    )


async def propose(
    session: AsyncSession, body: AnnualReviewIn, *, principal: Principal, clock: Clock
) -> AnnualReviewOut:
    _require_reviewer(principal)
    if region_prefix(body.region_code) == "" or level_of(body.region_code) not in ("county", "township"):
        raise Unprocessable(
            "An annual review covers a county or a township.", "年度动态调整以县或乡镇为单位。"
        )
    if not principal.covers(body.region_code):
        raise NotFound("No such region in your regions.", "您的管辖范围内无此地区。")
    deadline = await parameters.value(session, "annual_review_deadline", body.region_code, clock.today())
    review = AnnualReview(
        region_code=body.region_code,
        year=body.year,
        deadline=deadline.in_year(body.year),
        created_by=principal.subject,
        created_at=clock.now(),
    )
    session.add(review)
    await session.flush()
    for household, view in await repository.candidates(session, region_prefix(body.region_code)):
        session.add(
            AnnualReviewItem(
                review_id=review.id,
                household_id=household.id,
                village_code=household.village_code,
                direction=EXIT if household.status == "registered" else ENTRY,
                household_version=household.version,
                policy_code=view.policy_code,
                policy_version=view.policy_version,
                per_capita_net_income_fen=household.per_capita_net_income_fen,
            )
        )
    await session.flush()
    out = await review_out(session, review, clock)
    record_audit(
        session,
        AuditRecord,
        actor=principal,
        action="annual_review.propose",
        entity_type="annual_review",
        entity_id=str(review.id),
        reason=f"{body.year}年度动态调整",
        detail={"region_code": body.region_code, "entries": len(out.entries), "exits": len(out.exits)},
    )
    return out


async def get(
    session: AsyncSession, review_id: uuid.UUID, principal: Principal, clock: Clock
) -> AnnualReviewOut:
    review = await repository.get(session, review_id, principal.region_prefixes())
    if review is None:
        raise NotFound(*NOT_FOUND)
    return await review_out(session, review, clock)


async def open_cases(
    session: AsyncSession, review_id: uuid.UUID, body: ReviewOpen, *, principal: Principal, clock: Clock
) -> ReviewOpened:
    """Open an identification case per proposed entry and an exit case per proposed exit.

    The reviewer files each case's first step (the township organises the yearly 进退识别, 002 篇2);
    a household whose situation changed since the proposal is skipped with the reason.
    """
    _require_reviewer(principal)
    review = await repository.get(session, review_id, principal.region_prefixes(), for_update=True)
    if review is None:
        raise NotFound(*NOT_FOUND)
    wanted = set(body.household_ids) if body.household_ids is not None else None
    opened = 0
    skipped: list[SkippedItem] = []
    for item, _head in await repository.items(session, review.id):
        if item.case_id is not None or (wanted is not None and item.household_id not in wanted):
            continue
        kind = CaseKind.IDENTIFICATION if item.direction == ENTRY else CaseKind.EXIT
        try:
            async with session.begin_nested():
                household = await households.visible_household(
                    session, item.household_id, principal, for_update=True
                )
                await cases.check_can_open(session, household, kind)
                case = await cases.start(
                    session,
                    household,
                    kind,
                    principal=principal,
                    clock=clock,
                    note=f"{review.year}年度动态调整{DIRECTION_LABELS[item.direction]}",
                    details={"annual_review_id": str(review.id)},
                    annual_review_id=review.id,
                    by_review=True,
                )
        except AppError as exc:
            skipped.append(
                SkippedItem(household_id=item.household_id, reason=exc.detail, reason_zh=exc.detail_zh or "")
            )
            continue
        item.case_id = case.id
        opened += 1
    if wanted is not None:
        listed = {item.household_id for item, _head in await repository.items(session, review.id)}
        skipped.extend(
            SkippedItem(
                household_id=household_id, reason="Not proposed by this review.", reason_zh="不在本次名单中。"
            )
            for household_id in sorted(wanted - listed)
        )
    review.opened_at = review.opened_at or clock.now()
    review.opened_by = review.opened_by or principal.subject
    review.version += 1
    await session.flush()
    record_audit(
        session,
        AuditRecord,
        actor=principal,
        action="annual_review.open",
        entity_type="annual_review",
        entity_id=str(review.id),
        reason=f"{review.year}年度动态调整批量发起",
        detail={"opened": opened, "skipped": len(skipped)},
    )
    return ReviewOpened(review=await review_out(session, review, clock), opened=opened, skipped=skipped)
