"""Keeping the beneficiary projection from the eligibility feed."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility import contract as eligibility
from services.kit.outbox import FeedEvent
from services.subsidy.beneficiaries import repository
from services.subsidy.models import Beneficiary


async def apply_assessment_event(session: AsyncSession, event: FeedEvent) -> None:
    """Handler of the eligibility feed; an assessment of an older household version is ignored."""
    if event.type != eligibility.ASSESSMENT_RECORDED:
        return
    recorded = eligibility.AssessmentRecorded.model_validate(event.payload)
    current = await repository.get(session, recorded.household_id)
    if current is not None and current.household_version > recorded.household_version:
        return
    if current is None:
        current = Beneficiary(household_id=recorded.household_id)
        session.add(current)
    current.household_version = recorded.household_version
    current.village_code = recorded.village_code
    current.poor = recorded.poor
    current.category = recorded.category
    current.policy_code = recorded.policy_code
    current.policy_version = recorded.policy_version
    current.assessed_at = recorded.assessed_at
    await session.flush()
