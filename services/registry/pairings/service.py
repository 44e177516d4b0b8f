"""Helper cadres and pairings (结对帮扶): quotas by rank (the 321 rule of 001 [A]), and visits (民情日记)."""

import datetime as dt
import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import record_audit
from services.kit.auth import Principal, Role
from services.kit.errors import Conflict, FieldError, Forbidden, NotFound, Unprocessable
from services.kit.regions import county_of, region_prefix
from services.registry.clock import Clock
from services.registry.households import service as households
from services.registry.models import AuditRecord, Helper, Pairing, Visit
from services.registry.pairings import repository
from services.registry.parameters import service as parameters
from services.registry.schemas import (
    HelperIn,
    HelperOut,
    PairingEnd,
    PairingIn,
    PairingOut,
    UnderVisited,
    VisitIn,
    VisitOut,
)
from services.registry.vocabulary import HelperRank, HouseholdStatus

ORGANISERS = (Role.TOWNSHIP_REVIEWER, Role.COUNTY_APPROVER)
VISITORS = (Role.CADRE, Role.VILLAGE_OFFICER, Role.TOWNSHIP_REVIEWER, Role.COUNTY_APPROVER)
HELPED = (HouseholdStatus.REGISTERED, HouseholdStatus.EXITED)


def _require(principal: Principal, roles: tuple[Role, ...], zh: str) -> None:
    if not (principal.is_admin or principal.has_role(*roles)):
        raise Forbidden("Your role may not do this.", zh)


def _audit(
    session: AsyncSession, principal: Principal, action: str, entity: str, entity_id: uuid.UUID, reason: str
) -> None:
    record_audit(
        session,
        AuditRecord,
        actor=principal,
        action=action,
        entity_type=entity,
        entity_id=str(entity_id),
        reason=reason,
    )


async def _quota(session: AsyncSession, rank: str, region_code: str, on: dt.date) -> int | None:
    quotas: dict[HelperRank, int] = await parameters.value(session, "pairing_quota", region_code, on)
    return quotas.get(HelperRank(rank))


async def helper_out(session: AsyncSession, helper: Helper, paired: int, on: dt.date) -> HelperOut:
    return HelperOut(
        id=helper.id,
        name=helper.name,
        rank=helper.rank,
        rank_label=HelperRank(helper.rank).label_zh,
        unit=helper.unit,
        phone=helper.phone,
        region_code=helper.region_code,
        user_subject=helper.user_subject,
        quota=await _quota(session, helper.rank, helper.region_code, on),
        paired=paired,
    )


async def add_helper(
    session: AsyncSession, body: HelperIn, *, principal: Principal, clock: Clock
) -> HelperOut:
    _require(principal, ORGANISERS, "帮扶责任人须由乡镇或县级工作人员登记。")
    if not principal.covers(body.region_code):
        raise NotFound("No such region in your regions.", "您的管辖范围内无此地区。")
    helper = Helper(
        name=body.name,
        rank=body.rank.value,
        unit=body.unit,
        phone=body.phone,
        region_code=body.region_code,
        user_subject=body.user_subject,
    )
    session.add(helper)
    await session.flush()
    _audit(session, principal, "helper.add", "helper", helper.id, f"{body.unit} {body.name}")
    return await helper_out(session, helper, 0, clock.today())


async def list_helpers(
    session: AsyncSession, principal: Principal, clock: Clock, limit: int
) -> list[HelperOut]:
    found = list(await repository.helpers(session, principal.region_prefixes(), limit))
    counts = await repository.paired_counts(session, [h.id for h in found])
    return [await helper_out(session, h, counts.get(h.id, 0), clock.today()) for h in found]


async def pair(session: AsyncSession, body: PairingIn, *, principal: Principal) -> PairingOut:
    """Pair a helper with a household: within the rank's quota, one active helper per household."""
    _require(principal, ORGANISERS, "结对帮扶须由乡镇或县级工作人员安排。")
    # The helper row is locked so that two pairings racing for the last place cannot both pass the quota.
    helper = await repository.helper(session, body.helper_id, principal.region_prefixes(), for_update=True)
    if helper is None or not helper.active:
        raise NotFound("Helper not found.", "未找到该帮扶责任人。")
    household = await households.visible_household(session, body.household_id, principal, for_update=True)
    if county_of(household.village_code) != county_of(helper.region_code):
        raise Unprocessable("The household is outside the helper's county.", "该户不在帮扶责任人所在县。")
    if HouseholdStatus(household.status) not in HELPED:
        raise Conflict(
            "Only registered or exited households are paired with a helper.",
            "只有建档立卡户和已脱贫户安排结对帮扶。",
            code="not_helped",
        )
    quota = await _quota(session, helper.rank, household.village_code, body.started_on)
    paired = (await repository.paired_counts(session, [helper.id])).get(helper.id, 0)
    if quota is not None and paired >= quota:
        raise Conflict(
            f"A {helper.rank} helper pairs with at most {quota} households; this one has {paired}.",
            f"{HelperRank(helper.rank).label_zh}结对帮扶不超过{quota}户,已结对{paired}户。",
            code="pairing_quota_full",
        )
    pairing = Pairing(
        helper_id=helper.id,
        household_id=household.id,
        village_code=household.village_code,
        started_on=body.started_on,
    )
    try:
        async with session.begin_nested():
            session.add(pairing)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "The household already has a helper; end that pairing first.",
            "该户已有帮扶责任人,请先解除原结对。",
            code="household_already_paired",
        ) from exc
    _audit(
        session,
        principal,
        "pairing.start",
        "pairing",
        pairing.id,
        f"{helper.name} 结对 {household.head_name}",
    )
    return PairingOut.model_validate(pairing)


async def end_pairing(
    session: AsyncSession, pairing_id: uuid.UUID, body: PairingEnd, *, principal: Principal
) -> PairingOut:
    _require(principal, ORGANISERS, "解除结对须由乡镇或县级工作人员办理。")
    pairing = await repository.pairing(session, pairing_id, principal.region_prefixes(), for_update=True)
    if pairing is None:
        raise NotFound("Pairing not found.", "未找到该结对关系。")
    if not pairing.active:
        raise Conflict("The pairing has already ended.", "该结对已解除。", code="pairing_ended")
    if body.ended_on < pairing.started_on:
        raise Unprocessable(
            "A pairing cannot end before it starts.",
            "解除日期早于结对日期。",
            fields=[FieldError(loc=["body", "ended_on"], message="before started_on")],
        )
    pairing.active = False
    pairing.ended_on = body.ended_on
    pairing.end_reason = body.reason
    pairing.version += 1
    _audit(session, principal, "pairing.end", "pairing", pairing.id, body.reason)
    return PairingOut.model_validate(pairing)


async def log_visit(session: AsyncSession, body: VisitIn, *, principal: Principal, clock: Clock) -> VisitOut:
    _require(principal, VISITORS, "您的角色无权登记走访。")
    household = await households.visible_household(session, body.household_id, principal)
    if body.visited_on > clock.today():
        raise Unprocessable(
            "A visit cannot be in the future.",
            "走访日期晚于今天。",
            fields=[FieldError(loc=["body", "visited_on"], message="in the future", message_zh="晚于今天")],
        )
    pairing = await repository.active_pairing(session, household.id)
    visit = Visit(
        household_id=household.id,
        village_code=household.village_code,
        helper_id=pairing.helper_id if pairing else None,
        visited_by=principal.subject,
        visited_on=body.visited_on,
        latitude=body.latitude,
        longitude=body.longitude,
        notes=body.notes,
        photos=list(body.photos),
        recorded_at=clock.now(),
    )
    session.add(visit)
    await session.flush()
    _audit(session, principal, "visit.log", "household", household.id, body.notes[:500])
    return VisitOut.model_validate(visit)


async def household_visits(
    session: AsyncSession, household_id: uuid.UUID, principal: Principal, limit: int
) -> list[VisitOut]:
    await households.visible_household(session, household_id, principal)
    return [VisitOut.model_validate(v) for v in await repository.visits(session, household_id, limit)]


async def under_visited(
    session: AsyncSession, principal: Principal, month: dt.date, region_code: str
) -> list[UnderVisited]:
    """Households helped in `month` with fewer visits than the minimum (once a month by default)."""
    if not principal.covers(region_code):
        raise NotFound("No such region in your regions.", "您的管辖范围内无此地区。")
    if (month.year, month.month) == (dt.MAXYEAR, 12):
        raise Unprocessable(
            "The month has no end in the calendar.",
            "月份超出日历范围。",
            fields=[
                FieldError(loc=["query", "month"], message="month out of range", message_zh="月份超出范围")
            ],
        )
    first_day = month.replace(day=1)
    last_day = (first_day + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    required = await parameters.integer(session, "visit_min_per_month", region_code, first_day)
    return [
        UnderVisited(
            household_id=household.id,
            village_code=household.village_code,
            head_name=household.head_name,
            helper_id=helper.id if helper else None,
            helper_name=helper.name if helper else None,
            visits=visits,
            required=required,
        )
        for household, visits, helper in await repository.under_visited(
            session, (region_prefix(region_code),), first_day, last_day, required
        )
    ]
