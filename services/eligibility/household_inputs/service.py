"""Keeping the household projection from the registry's feed, and assessing each new version."""

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility.assessments.service import assess_one
from services.eligibility.household_inputs import repository
from services.eligibility.models import HouseholdInput
from services.eligibility.rules.inputs import encode, inputs_hash, normalise
from services.kit.outbox import FeedEvent
from services.registry import contract as registry


def facts_of(payload: dict[str, Any]) -> dict[str, Any]:
    """The documented household input from a `household.changed` payload (no names, no ID numbers).

    Fields added to the event after the first release are read only when present, so older
    events in the feed still project (their missing fields take the documented defaults).
    """
    change = registry.HouseholdChanged.model_validate(payload)
    members = [
        {
            "birth_date": member.get("birth_date"),
            "sex": member.get("sex"),
            "relation": member.get("relation"),
            "labour_capacity": member.get("labour_capacity"),
            "labour_willing": member.get("labour_willing"),
            "health": member.get("health"),
            "disability_grade": member.get("disability_grade"),
            "schooling_stage": member.get("schooling_stage"),
            "dropped_out": member.get("dropout"),
            "medical_insured": member.get("medical_insurance"),
        }
        for member in payload.get("members", [])
    ]
    area = payload.get("housing_area_m2")
    return normalise(
        {
            "per_capita_net_income_fen": change.per_capita_net_income_fen,
            "per_capita_disposable_income_fen": payload.get("per_capita_disposable_income_fen"),
            "member_count": change.member_count,
            "transfer_income_fen": payload.get("transfer_fen"),
            "housing_safety_grade": change.housing_safety_grade,
            "housing_area_m2": float(area) if area is not None else None,
            "housing_self_build_capable": payload.get("housing_self_build_capable"),
            "drinking_water_safe": payload.get("drinking_water_safe"),
            "food_clothing_secure": payload.get("food_clothing_secure"),
            "dibao": payload.get("dibao"),
            "wubao": payload.get("wubao"),
            "status": change.status,
            "exit_year": payload.get("exit_year"),
            "members": members,
        }
    )


async def apply_registry_event(session: AsyncSession, event: FeedEvent) -> None:
    """Handler of the registry feed; older versions than the one held are ignored."""
    if event.type != registry.HOUSEHOLD_CHANGED:
        return
    change = registry.HouseholdChanged.model_validate(event.payload)
    current = await repository.get(session, change.household_id)
    if current is not None and current.household_version >= change.version:
        return
    facts = facts_of(event.payload)
    digest = inputs_hash(facts)
    columns, members = encode(facts)
    if current is None:
        current = HouseholdInput(household_id=change.household_id)
        session.add(current)
    current.household_version = change.version
    current.village_code = change.village_code
    current.inputs_hash = digest
    for name, value in columns.items():
        setattr(current, name, value)
    current.members = members
    await repository.keep_snapshot(session, digest, facts)
    await session.flush()
    await assess_one(session, current, on=event.occurred_at.astimezone(dt.UTC).date())
