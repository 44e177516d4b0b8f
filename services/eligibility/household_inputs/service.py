"""Keeping the household projection from the registry's feed, and assessing each new version."""

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility.assessments.service import assess
from services.eligibility.household_inputs import repository
from services.eligibility.models import HouseholdInput
from services.kit.outbox import FeedEvent
from services.registry import contract as registry


def facts_of(change: registry.HouseholdChanged) -> dict[str, object]:
    """The documented rule input `household.*` (no names, no ID numbers)."""
    return {
        "per_capita_net_income_fen": change.per_capita_net_income_fen,
        "member_count": change.member_count,
        "housing_safety_grade": change.housing_safety_grade,
        "status": change.status,
        "members": [member.model_dump(mode="json") for member in change.members],
    }


async def apply_registry_event(session: AsyncSession, event: FeedEvent) -> None:
    """Handler of the registry feed; older versions than the one held are ignored."""
    if event.type != registry.HOUSEHOLD_CHANGED:
        return
    change = registry.HouseholdChanged.model_validate(event.payload)
    current = await repository.get(session, change.household_id)
    if current is not None and current.household_version >= change.version:
        return
    if current is None:
        current = HouseholdInput(household_id=change.household_id)
        session.add(current)
    current.household_version = change.version
    current.village_code = change.village_code
    current.facts = facts_of(change)
    await session.flush()
    await assess(session, current, on=event.occurred_at.astimezone(dt.UTC).date())
