"""Assessing households (识别评估): one explained result per household version, policy version and date.

The same compiled policy evaluates one household here and a million in a bulk run. An
assessment stores its outcome compactly; its explanation is rebuilt from the policy version, the
stored input snapshot and the stored outcome, and a re-run recomputes the outcome from the same
input and date: the two must print the same bytes.
"""

import datetime as dt
import hashlib
import json
import os
import time
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility import contract
from services.eligibility.assessments import repository
from services.eligibility.household_inputs import repository as inputs_repository
from services.eligibility.models import Assessment, CurrentAssessment, HouseholdInput, OutboxEvent, Policy
from services.eligibility.policies import repository as policy_repository
from services.eligibility.policies.engine import CompiledPolicy
from services.eligibility.policies.service import DRAFT, applicable_among, check, compiled
from services.eligibility.rules.inputs import (
    HOUSEHOLD,
    HOUSEHOLD_COLUMNS,
    MEMBER,
    HouseholdBatch,
    canonical_json,
    inputs_hash,
    normalise,
)
from services.eligibility.rules.vector import Frame
from services.eligibility.schemas import (
    CATEGORY_LABELS,
    AssessmentOut,
    AssessmentSummary,
    Explanation,
    PolicyDocument,
    PreviewIn,
    RerunOut,
)
from services.kit.auth import Principal
from services.kit.database import utcnow
from services.kit.errors import FieldError, NotFound, Unprocessable
from services.kit.outbox import publish

NOT_FOUND = ("No assessment for this household.", "该户尚无评估结果。")


def new_ids(count: int) -> list[str]:
    """Random UUIDs (as text) led by the time in ms (RFC 9562 version 7), so index inserts stay local."""
    raw = np.frombuffer(os.urandom(16 * count), np.uint8).reshape(count, 16).copy()
    stamp = int(time.time() * 1000).to_bytes(6, "big")
    raw[:, :6] = np.frombuffer(stamp, np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x70
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    digits = np.frombuffer(raw.tobytes().hex().encode(), np.uint8).reshape(count, 32)
    dash = np.full((count, 1), ord("-"), np.uint8)
    parts = [
        digits[:, :8],
        dash,
        digits[:, 8:12],
        dash,
        digits[:, 12:16],
        dash,
        digits[:, 16:20],
        dash,
        digits[:, 20:],
    ]
    text = np.ascontiguousarray(np.concatenate(parts, axis=1)).view("S36").ravel()
    ids: list[str] = text.astype("U36").tolist()
    return ids


_JSON_BOOL = ("false", "true")


def event_payloads(
    *,
    policy: Policy,
    as_of: dt.date,
    assessed_at: dt.datetime,
    run_id: uuid.UUID | None,
    assessment_ids: Sequence[object],
    household_ids: Sequence[object],
    versions: Sequence[int],
    villages: Sequence[str],
    categories: Sequence[str],
    poor: Sequence[bool],
    degrees: Sequence[str | None],
    extreme: Sequence[bool],
    exit_ready: Sequence[bool],
    programs_json: Sequence[str],
    scores_x100: Sequence[int],
) -> list[str]:
    """`assessment.recorded` payloads (contract.AssessmentRecorded) as JSON text, one per household.

    Built from a template rather than a model per household: every text in it is an identifier,
    a UUID, a code or an ISO date, so none needs escaping.
    """
    run = f'"{run_id}"' if run_id else "null"
    template = (
        '{"assessment_id":"%s","household_id":"%s","household_version":%d,"village_code":"%s",'
        f'"policy_code":"{policy.code}","policy_version":{policy.policy_version},'
        '"category":"%s","poor":%s,'
        f'"assessed_at":"{assessed_at.isoformat()}","as_of":"{as_of.isoformat()}",'
        '"degree":%s,"extreme_poverty":%s,"exit_ready":%s,"programs":%s,"score":%s,'
        f'"run_id":{run}'
        "}"
    )
    return [
        template % row
        for row in zip(
            assessment_ids,
            household_ids,
            versions,
            villages,
            categories,
            [_JSON_BOOL[value] for value in poor],
            [f'"{degree}"' if degree else "null" for degree in degrees],
            [_JSON_BOOL[value] for value in extreme],
            [_JSON_BOOL[value] for value in exit_ready],
            programs_json,
            [repr(score / 100) for score in scores_x100],
            strict=True,
        )
    ]


async def assess_one(session: AsyncSession, household: HouseholdInput, on: dt.date) -> Assessment | None:
    """Assess a projected household with the policy that applies; an identical earlier result is kept.

    An event is published only when the outcome differs from the household's current one.
    """
    policy = applicable_among(await policy_repository.published(session), household.village_code, on)
    if policy is None:
        return None
    current = await repository.current(session, household.household_id)
    if (
        current is not None
        and current.household_version == household.household_version
        and current.policy_id == policy.id
        and current.as_of == on
    ):
        return await session.get(Assessment, current.assessment_id)
    columns = {name: [getattr(household, name)] for name in HOUSEHOLD_COLUMNS}
    evaluation = (await compiled(session, policy)).evaluate(
        HouseholdBatch.from_columns(columns, [household.members]), on
    )
    outcome = evaluation.outcome(0)
    results = evaluation.outcomes()
    key = results.keys[0]
    assessment = Assessment(
        id=uuid.UUID(new_ids(1)[0]),
        household_id=household.household_id,
        household_version=household.household_version,
        village_code=household.village_code,
        policy_id=policy.id,
        policy_code=policy.code,
        policy_version=policy.policy_version,
        as_of=on,
        inputs_hash=household.inputs_hash,
        category=outcome.category,
        poor=outcome.poor,
        degree=outcome.degree,
        extreme_poverty=outcome.extreme_poverty,
        exit_ready=outcome.exit_ready,
        score_x100=outcome.score_x100,
        details=evaluation.packed()[0],
        assessed_at=utcnow(),
    )
    session.add(assessment)
    changed = current is None or current.outcome_key != key
    if current is None:
        current = CurrentAssessment(household_id=household.household_id)
        session.add(current)
    current.assessment_id = assessment.id
    current.household_version = household.household_version
    current.village_code = household.village_code
    current.policy_id = policy.id
    current.as_of = on
    current.outcome_key = key
    current.category = outcome.category
    current.poor = outcome.poor
    current.score_x100 = outcome.score_x100
    if changed:
        (payload,) = event_payloads(
            policy=policy,
            as_of=on,
            assessed_at=assessment.assessed_at,
            run_id=None,
            assessment_ids=[assessment.id],
            household_ids=[household.household_id],
            versions=[household.household_version],
            villages=[household.village_code],
            categories=[outcome.category],
            poor=[outcome.poor],
            degrees=[outcome.degree],
            extreme=[outcome.extreme_poverty],
            exit_ready=[outcome.exit_ready],
            programs_json=results.programs_json,
            scores_x100=[outcome.score_x100],
        )
        publish(
            session,
            OutboxEvent,
            contract.ASSESSMENT_RECORDED,
            str(household.household_id),
            json.loads(payload),
        )
    await session.flush()
    return assessment


async def compiled_for(session: AsyncSession, policy: Policy) -> CompiledPolicy:
    """A policy compiled for use: published and retired versions from the cache, a draft resolved first."""
    if policy.status != DRAFT:
        return await compiled(session, policy)
    resolved, report = await check(session, PolicyDocument.model_validate(policy.document))
    if resolved is None:
        raise Unprocessable(
            "The draft has problems; validate it first.",
            "草稿存在问题,请先校验。",
            code="policy_invalid",
            fields=[
                FieldError(loc=["document", *p.location.split(".")], message=p.message)
                for p in report.problems
            ],
        )
    return CompiledPolicy(resolved)


def _explain_stored(policy: CompiledPolicy, assessment: Assessment, facts: dict[str, Any]) -> Explanation:
    frame = Frame(
        HouseholdBatch.from_facts([facts]), assessment.as_of, policy.parameters_on(assessment.as_of)
    )
    outcome = policy.unpack(
        assessment.details,
        category=assessment.category,
        poor=assessment.poor,
        degree=assessment.degree,
        extreme_poverty=assessment.extreme_poverty,
        exit_ready=assessment.exit_ready,
        score_x100=assessment.score_x100,
    )
    return policy.explain(outcome, frame, assessment.inputs_hash)


async def _stored(session: AsyncSession, assessment: Assessment) -> tuple[CompiledPolicy, dict[str, Any]]:
    policy = await policy_repository.get(session, assessment.policy_id)
    snapshot = await inputs_repository.snapshot(session, assessment.inputs_hash)
    assert policy is not None, "an assessment always has its policy"
    assert snapshot is not None, "an assessment always has its input snapshot"
    return await compiled(session, policy), snapshot.facts


def assessment_out(assessment: Assessment, explanation: Explanation, policy_id: uuid.UUID) -> AssessmentOut:
    return AssessmentOut(
        **explanation.model_dump(),
        id=assessment.id,
        household_id=assessment.household_id,
        household_version=assessment.household_version,
        village_code=assessment.village_code,
        policy_id=policy_id,
        assessed_at=assessment.assessed_at,
        run_id=assessment.run_id,
    )


async def explained(session: AsyncSession, assessment: Assessment) -> AssessmentOut:
    policy, facts = await _stored(session, assessment)
    return assessment_out(assessment, _explain_stored(policy, assessment, facts), assessment.policy_id)


async def latest(session: AsyncSession, household_id: uuid.UUID, principal: Principal) -> AssessmentOut:
    assessment = await repository.latest_for_household(session, household_id, principal.region_prefixes())
    if assessment is None:
        raise NotFound(*NOT_FOUND)
    return await explained(session, assessment)


async def one(session: AsyncSession, assessment_id: uuid.UUID, principal: Principal) -> AssessmentOut:
    assessment = await repository.get(session, assessment_id, principal.region_prefixes())
    if assessment is None:
        raise NotFound("No such assessment.", "评估记录不存在。")
    return await explained(session, assessment)


async def history(
    session: AsyncSession, household_id: uuid.UUID, principal: Principal, limit: int
) -> list[AssessmentSummary]:
    rows = await repository.history(session, household_id, principal.region_prefixes(), limit)
    if not rows:
        raise NotFound(*NOT_FOUND)
    return [
        AssessmentSummary(
            id=row.id,
            household_version=row.household_version,
            policy_code=row.policy_code,
            policy_version=row.policy_version,
            as_of=row.as_of,
            category=row.category,
            category_label=CATEGORY_LABELS[row.category][0],
            poor=row.poor,
            score=row.score_x100 / 100,
            assessed_at=row.assessed_at,
            run_id=row.run_id,
        )
        for row in rows
    ]


async def rerun(session: AsyncSession, assessment_id: uuid.UUID, principal: Principal) -> RerunOut:
    """Compute a stored assessment again from its stored input, policy version and date, and compare."""
    assessment = await repository.get(session, assessment_id, principal.region_prefixes())
    if assessment is None:
        raise NotFound("No such assessment.", "评估记录不存在。")
    policy, facts = await _stored(session, assessment)
    stored = _explain_stored(policy, assessment, facts)
    evaluation = policy.evaluate(HouseholdBatch.from_facts([facts]), assessment.as_of)
    again = policy.explain(evaluation.outcome(0), evaluation.frame, inputs_hash(facts))
    stored_bytes = canonical_json(stored.model_dump(mode="json"))
    again_bytes = canonical_json(again.model_dump(mode="json"))
    return RerunOut(
        identical=stored_bytes == again_bytes,
        stored_sha256=hashlib.sha256(stored_bytes).hexdigest(),
        rerun_sha256=hashlib.sha256(again_bytes).hexdigest(),
        rerun=again,
    )


def _vocabulary_errors(facts: dict[str, Any]) -> list[FieldError]:
    errors = []
    for name, field in HOUSEHOLD.items():
        value = facts.get(name)
        if field.kind == "enum" and value is not None and value not in field.vocabulary:
            errors.append(_unknown_code(["body", "household", name], value, field.vocabulary))
    for index, member in enumerate(facts["members"]):
        for name, field in MEMBER.items():
            value = member.get(name)
            if field.kind == "enum" and value is not None and value not in field.vocabulary:
                errors.append(
                    _unknown_code(["body", "household", "members", index, name], value, field.vocabulary)
                )
    return errors


def _unknown_code(loc: Sequence[str | int], value: Any, allowed: Sequence[str]) -> FieldError:
    return FieldError(
        loc=list(loc),
        message=f"{value!r} is not one of {', '.join(allowed)}",
        message_zh=f"{value!r} 不是有效取值({'、'.join(allowed)})",
        type="enum",
    )


async def preview(session: AsyncSession, principal: Principal, body: PreviewIn) -> AssessmentOut:
    """Assess an input as a policy would, storing nothing (a draft may be previewed too)."""
    if not principal.covers(body.village_code):
        raise NotFound("No such village in your regions.", "您的辖区内无此村。")
    facts = normalise(body.household.model_dump(mode="json"))
    errors = _vocabulary_errors(facts)
    if errors:
        raise Unprocessable(
            "The household input is not valid; see fields.", "农户数据有误,请查看字段说明。", fields=errors
        )
    as_of = body.as_of or dt.date.today()
    if body.policy_id is not None:
        policy = await policy_repository.get(session, body.policy_id)
        if policy is None:
            raise NotFound("No such policy.", "政策不存在。")
    else:
        found = applicable_among(await policy_repository.published(session), body.village_code, as_of)
        if found is None:
            raise NotFound("No published policy covers this village.", "该村无适用的已发布政策。")
        policy = found
    compiled_policy = await compiled_for(session, policy)
    try:
        evaluation = compiled_policy.evaluate(HouseholdBatch.from_facts([facts]), as_of)
    except ValueError as exc:
        raise Unprocessable(
            f"The policy is not in force on {as_of}: {exc}.", f"该政策在 {as_of} 尚未生效。"
        ) from exc
    explanation = compiled_policy.explain(evaluation.outcome(0), evaluation.frame, inputs_hash(facts))
    return AssessmentOut(
        **explanation.model_dump(),
        id=None,
        household_id=None,
        household_version=None,
        village_code=body.village_code,
        policy_id=policy.id,
        assessed_at=None,
    )
