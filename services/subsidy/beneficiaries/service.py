"""Keeping the beneficiary projections: assessments (eligibility feed) and status (registry feed)."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility import contract as eligibility
from services.kit.outbox import FeedEvent
from services.registry import contract as registry
from services.subsidy.beneficiaries import repository
from services.subsidy.models import Beneficiary, HouseholdStatus
from services.subsidy.payments.repository import forget_payees


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
    # Flags the catalogue's eligibility rules name: extreme poverty (002 篇1 第四条) and every program
    # the assessment found the household qualifies for (e.g. elderly_direct_subsidy).
    flags = {name for name, count in recorded.programs.items() if count > 0}
    if recorded.extreme_poverty:
        flags.add("extreme_poor")
    current.flags = sorted(flags)
    current.policy_code = recorded.policy_code
    current.policy_version = recorded.policy_version
    current.assessed_at = recorded.assessed_at
    await session.flush()


async def apply_household_event(session: AsyncSession, event: FeedEvent) -> None:
    """Handler of the registry feed: status and exit year; a changed household's payee is fetched anew."""
    if event.type != registry.HOUSEHOLD_CHANGED:
        return
    changed = registry.HouseholdChanged.model_validate(event.payload)
    current = await repository.get_status(session, changed.household_id)
    if current is not None and current.household_version >= changed.version:
        return
    if current is None:
        current = HouseholdStatus(household_id=changed.household_id)
        session.add(current)
    current.household_version = changed.version
    current.village_code = changed.village_code
    current.status = changed.status
    current.exit_year = changed.exit_year
    await forget_payees(session, {changed.household_id})
    await session.flush()
