"""Help measures (帮扶措施, the kinds of 004 A) and the list of households short of income measures."""

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import record_audit
from services.kit.auth import Principal, Role
from services.kit.errors import Conflict, FieldError, Forbidden, NotFound, Unprocessable
from services.kit.regions import region_prefix
from services.registry.clock import Clock
from services.registry.households import service as households
from services.registry.measures import repository
from services.registry.models import AuditRecord, HelpMeasure
from services.registry.parameters import service as parameters
from services.registry.schemas import MeasureEnd, MeasureIn, MeasureOut, ShortOfMeasures
from services.registry.vocabulary import HouseholdStatus, MeasureKind

RECORDERS = (Role.CADRE, Role.VILLAGE_OFFICER, Role.TOWNSHIP_REVIEWER, Role.COUNTY_APPROVER)


def measure_out(measure: HelpMeasure) -> MeasureOut:
    return MeasureOut(
        id=measure.id,
        household_id=measure.household_id,
        kind=measure.kind,
        kind_label=MeasureKind(measure.kind).label_zh,
        raises_income=measure.raises_income,
        description=measure.description,
        started_on=measure.started_on,
        ended_on=measure.ended_on,
        amount_fen=measure.amount_fen,
        partner=measure.partner,
    )


def _require(principal: Principal) -> None:
    if not (principal.is_admin or principal.has_role(*RECORDERS)):
        raise Forbidden("Your role may not record help measures.", "您的角色无权登记帮扶措施。")


async def add(
    session: AsyncSession, household_id: uuid.UUID, body: MeasureIn, *, principal: Principal
) -> MeasureOut:
    _require(principal)
    household = await households.visible_household(session, household_id, principal)
    measure = HelpMeasure(
        household_id=household.id,
        village_code=household.village_code,
        kind=body.kind.value,
        raises_income=body.kind.raises_income,
        description=body.description,
        started_on=body.started_on,
        ended_on=body.ended_on,
        amount_fen=body.amount_fen,
        partner=body.partner,
        recorded_by=principal.subject,
    )
    session.add(measure)
    await session.flush()
    record_audit(
        session,
        AuditRecord,
        actor=principal,
        action="measure.add",
        entity_type="household",
        entity_id=str(household.id),
        reason=body.description,
        detail={"measure_id": str(measure.id), "kind": body.kind.value},
    )
    return measure_out(measure)


async def end(
    session: AsyncSession,
    household_id: uuid.UUID,
    measure_id: uuid.UUID,
    body: MeasureEnd,
    *,
    principal: Principal,
) -> MeasureOut:
    _require(principal)
    await households.visible_household(session, household_id, principal)
    measure = await repository.get(session, household_id, measure_id, for_update=True)
    if measure is None:
        raise NotFound("Help measure not found.", "未找到该帮扶措施。")
    if measure.ended_on is not None:
        raise Conflict("The measure has already ended.", "该措施已结束。", code="measure_ended")
    if body.ended_on < measure.started_on:
        raise Unprocessable(
            "A measure cannot end before it starts.",
            "结束日期早于开始日期。",
            fields=[FieldError(loc=["body", "ended_on"], message="before started_on")],
        )
    measure.ended_on = body.ended_on
    measure.version += 1
    record_audit(
        session,
        AuditRecord,
        actor=principal,
        action="measure.end",
        entity_type="household",
        entity_id=str(household_id),
        reason=body.reason,
        detail={"measure_id": str(measure.id)},
    )
    return measure_out(measure)


async def of_household(
    session: AsyncSession, household_id: uuid.UUID, principal: Principal
) -> list[MeasureOut]:
    await households.visible_household(session, household_id, principal)
    return [measure_out(m) for m in await repository.of_household(session, household_id)]


async def short(
    session: AsyncSession, principal: Principal, region_code: str, on: dt.date | None, clock: Clock
) -> list[ShortOfMeasures]:
    """Poor (registered) and exited households with fewer income measures in force than required (2)."""
    if not principal.covers(region_code):
        raise NotFound("No such region in your regions.", "您的管辖范围内无此地区。")
    day = on or clock.today()
    required = await parameters.integer(session, "min_income_measures", region_code, day)
    return [
        ShortOfMeasures(
            household_id=household.id,
            village_code=household.village_code,
            head_name=household.head_name,
            status=household.status,
            status_label=HouseholdStatus(household.status).label_zh,
            income_measures=count,
            required=required,
        )
        for household, count in await repository.short_of_income_measures(
            session, region_prefix(region_code), day, required
        )
    ]
