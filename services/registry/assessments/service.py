"""Keeping the latest assessment outcome of each household from the eligibility feed.

Eligibility publishes an assessment when a household's outcome changes, so the projection holds the
outcome in force: poor or not, category, exit readiness (income stably above the line and
两不愁三保障 met), and the policy version it was judged by.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility import contract as eligibility
from services.kit.outbox import FeedEvent
from services.registry.assessments import repository
from services.registry.models import AssessmentView


async def apply_assessment_event(session: AsyncSession, event: FeedEvent) -> None:
    """Handler of the eligibility feed; an assessment of an older household version is ignored."""
    if event.type != eligibility.ASSESSMENT_RECORDED:
        return
    recorded = eligibility.AssessmentRecorded.model_validate(event.payload)
    current = await repository.get(session, recorded.household_id)
    if current is not None and current.household_version > recorded.household_version:
        return
    if current is None:
        current = AssessmentView(household_id=recorded.household_id)
        session.add(current)
    current.household_version = recorded.household_version
    current.village_code = recorded.village_code
    current.assessment_id = recorded.assessment_id
    current.policy_code = recorded.policy_code
    current.policy_version = recorded.policy_version
    current.poor = recorded.poor
    current.category = recorded.category
    current.exit_ready = recorded.exit_ready
    current.assessed_at = recorded.assessed_at
    await session.flush()
