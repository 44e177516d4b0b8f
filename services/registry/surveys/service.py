"""Survey intake (入户调查): each submission id is applied once, whatever the phone resends."""

import hashlib
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.auth import Principal
from services.kit.database import utcnow
from services.kit.errors import Conflict, Forbidden, NotFound
from services.registry.households import repository as households
from services.registry.households.identity import PiiVault
from services.registry.households.service import NOT_FOUND, apply_survey
from services.registry.models import SurveySubmission
from services.registry.schemas import SurveyResult, SurveySubmit
from services.registry.surveys import repository

ACCEPTED = "accepted"
STATUS_LABELS = {ACCEPTED: "已采纳"}


@dataclass(frozen=True)
class Intake:
    result: SurveyResult
    created: bool


def body_hash(survey: SurveySubmit) -> str:
    return hashlib.sha256(survey.model_dump_json().encode()).hexdigest()


def _replay(stored: SurveySubmission, digest: str) -> Intake:
    if stored.body_hash != digest:
        raise Conflict(
            "This submission id was already used for a different survey.",
            "该提交编号已用于另一份调查表。",
            code="submission_id_reused",
        )
    return Intake(SurveyResult.model_validate(stored.result), created=False)


async def submit(
    session: AsyncSession, survey: SurveySubmit, *, principal: Principal, vault: PiiVault
) -> Intake:
    digest = body_hash(survey)
    stored = await repository.get_submission(session, survey.submission_id)
    if stored is not None:
        return _replay(stored, digest)
    if not principal.covers(survey.village_code):
        raise Forbidden("The village is outside your regions.", "该村不在您的管辖范围内。")

    # Claim the submission id first: a concurrent resend waits here and then replays our result.
    submission = SurveySubmission(
        id=survey.submission_id,
        body_hash=digest,
        status=ACCEPTED,
        submitted_by=principal.subject,
        device_id=survey.device_id,
        captured_at=survey.captured_at,
        received_at=utcnow(),
        result={},
    )
    try:
        async with session.begin_nested():
            session.add(submission)
            await session.flush()
    except IntegrityError:
        stored = await repository.get_submission(session, survey.submission_id)
        if stored is None:
            raise
        return _replay(stored, digest)

    household = None
    if survey.household_id is not None:
        household = await households.get_household(
            session, survey.household_id, principal.region_prefixes(), for_update=True
        )
        if household is None:
            raise NotFound(*NOT_FOUND)
        if survey.base_version != household.version:
            raise Conflict(
                f"The household is at version {household.version}, not {survey.base_version}.",
                "该户信息已被他人修改,请同步后重新调查。",
                code="stale_version",
            )
    household = await apply_survey(session, survey, household, principal=principal, vault=vault)
    result = SurveyResult(
        submission_id=survey.submission_id,
        status=ACCEPTED,
        status_label=STATUS_LABELS[ACCEPTED],
        household_id=household.id,
        household_version=household.version,
    )
    submission.household_id = household.id
    submission.household_version = household.version
    submission.result = result.model_dump(mode="json")
    return Intake(result, created=True)
