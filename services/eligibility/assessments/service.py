"""Assessing households: one stored, explained result per household version and policy version."""

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility import contract
from services.eligibility.assessments import repository
from services.eligibility.models import Assessment, HouseholdInput, OutboxEvent
from services.eligibility.policies.engine import CompiledPolicy, inputs_hash
from services.eligibility.policies.service import applicable_policy
from services.eligibility.schemas import AssessmentOut, PolicyDocument, RuleResult
from services.kit.auth import Principal
from services.kit.errors import NotFound
from services.kit.outbox import publish

CATEGORY_LABELS = {
    "general_poor": "一般贫困户",
    "dibao_poor": "低保贫困户",
    "wubao": "特困供养(五保)户",
    "marginal": "边缘户",
    "not_poor": "非贫困",
}


async def assess(session: AsyncSession, household: HouseholdInput, on: dt.date) -> Assessment:
    """Assess with the policy that applies to the household's village; reuse an identical earlier result."""
    policy = await applicable_policy(session, household.village_code, on)
    existing = await repository.find(session, household.household_id, household.household_version, policy.id)
    if existing is not None:
        return existing
    outcome = CompiledPolicy(PolicyDocument.model_validate(policy.document)).assess(household.facts)
    assessment = Assessment(
        household_id=household.household_id,
        household_version=household.household_version,
        village_code=household.village_code,
        policy_id=policy.id,
        policy_code=policy.code,
        policy_version=policy.policy_version,
        inputs_hash=inputs_hash(household.facts),
        category=outcome.category,
        poor=outcome.poor,
        result={"rules": [rule.model_dump() for rule in outcome.rules]},
    )
    session.add(assessment)
    await session.flush()
    publish(
        session,
        OutboxEvent,
        contract.ASSESSMENT_RECORDED,
        str(assessment.household_id),
        contract.AssessmentRecorded(
            assessment_id=assessment.id,
            household_id=assessment.household_id,
            household_version=assessment.household_version,
            village_code=assessment.village_code,
            policy_code=assessment.policy_code,
            policy_version=assessment.policy_version,
            category=assessment.category,
            poor=assessment.poor,
            assessed_at=assessment.assessed_at,
        ).model_dump(mode="json"),
    )
    return assessment


def assessment_out(assessment: Assessment) -> AssessmentOut:
    return AssessmentOut(
        id=assessment.id,
        household_id=assessment.household_id,
        household_version=assessment.household_version,
        policy_code=assessment.policy_code,
        policy_version=assessment.policy_version,
        category=assessment.category,
        category_label=CATEGORY_LABELS.get(assessment.category, assessment.category),
        poor=assessment.poor,
        inputs_hash=assessment.inputs_hash,
        rules=[RuleResult.model_validate(rule) for rule in assessment.result["rules"]],
        assessed_at=assessment.assessed_at,
    )


async def latest(session: AsyncSession, household_id: uuid.UUID, principal: Principal) -> AssessmentOut:
    assessment = await repository.latest_for_household(session, household_id, principal.region_prefixes())
    if assessment is None:
        raise NotFound("No assessment for this household.", "该户尚无评估结果。")
    return assessment_out(assessment)
