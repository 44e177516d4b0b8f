"""Survey intake (入户调查): each submission id is applied once, whatever the phone resends.

A submission is checked against the form version it names (errors: 422, nothing stored), claimed
by its client UUID, then applied to the household in the same transaction, unless it must wait:
for its attachments (received), or for a reviewer (needs review: the household changed since the
survey's base version, an implausible value, a member already in another household). A conflict
never overwrites newer data; a reviewer resolves it by choosing, field by field, which value wins.
"""

import hashlib
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import record_audit
from services.kit.auth import Principal, PrincipalKind
from services.kit.database import utcnow
from services.kit.errors import (
    AppError,
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    Unprocessable,
    validation_field_errors,
)
from services.kit.outbox import publish
from services.kit.regions import county_of
from services.registry import contract
from services.registry.cases import service as cases
from services.registry.cases.workflow import WORKFLOWS
from services.registry.clock import Clock
from services.registry.config import RegistrySettings
from services.registry.forms import service as forms
from services.registry.households import repository as households
from services.registry.households.identity import PiiVault
from services.registry.households.service import (
    NOT_FOUND,
    apply_survey,
    create_from_surveys,
    ensure_current,
    validated_members,
)
from services.registry.models import (
    AuditRecord,
    Household,
    Member,
    OutboxEvent,
    SubmissionAttachment,
    SurveyForm,
    SurveySubmission,
)
from services.registry.schemas import SurveySubmit
from services.registry.surveys import repository
from services.registry.surveys.schemas import (
    BatchItem,
    BatchResult,
    Decision,
    FieldComparison,
    ItemError,
    ReviewOut,
    SurveyResult,
)
from services.registry.vocabulary import CaseKind

RECEIVED = "received"
ACCEPTED = "accepted"
NEEDS_REVIEW = "needs_review"
REJECTED = "rejected"
STATUS_LABELS = {
    RECEIVED: "已接收(待补传附件)",
    ACCEPTED: "已采纳",
    NEEDS_REVIEW: "待审核",
    REJECTED: "已退回",
}
EARTH_RADIUS_KM = 6371.0
SURVEY_ADAPTER = TypeAdapter(SurveySubmit)


@dataclass(frozen=True)
class Intake:
    result: SurveyResult
    created: bool


@dataclass(frozen=True)
class Context:
    """What applying a survey needs besides the database session."""

    vault: PiiVault
    settings: RegistrySettings
    clock: Clock


def body_hash(survey: SurveySubmit) -> str:
    return hashlib.sha256(survey.model_dump_json().encode()).hexdigest()


def result_of(submission: SurveySubmission, missing: Sequence[str] = ()) -> SurveyResult:
    return SurveyResult(
        submission_id=submission.id,
        status=submission.status,
        status_label=STATUS_LABELS[submission.status],
        household_id=submission.household_id,
        household_version=submission.household_version,
        base_version=submission.base_version,
        form_code=submission.form_code,
        form_version=submission.form_version,
        reason_code=submission.reason_code,
        reason=submission.reason,
        reason_zh=submission.reason_zh,
        flags=[FieldError.model_validate(flag) for flag in submission.flags],
        missing_attachments=list(missing),
        received_at=submission.received_at,
        updated_at=submission.updated_at,
    )


async def current_results(
    session: AsyncSession, submissions: Sequence[SurveySubmission]
) -> dict[uuid.UUID, SurveyResult]:
    """Each submission's result, with one query for the attachments still missing."""
    # Only a received submission can miss one: it leaves that state once every attachment is in.
    waiting = [submission.id for submission in submissions if submission.status == RECEIVED]
    missing = await repository.missing_attachments(session, waiting)
    return {row.id: result_of(row, missing.get(row.id, [])) for row in submissions}


async def current_result(session: AsyncSession, submission: SurveySubmission) -> SurveyResult:
    return (await current_results(session, [submission]))[submission.id]


def _ensure_resent(stored: SurveySubmission, digest: str, principal: Principal) -> None:
    """409 unless the stored submission has this body and this author (a resend, not a reuse of the id)."""
    if stored.body_hash != digest or stored.submitted_by != principal.subject:
        raise Conflict(
            "This submission id was already used for a different survey.",
            "该提交编号已用于另一份调查表。",
            code="submission_id_reused",
        )


async def _replay(
    session: AsyncSession, stored: SurveySubmission, digest: str, principal: Principal
) -> Intake:
    _ensure_resent(stored, digest, principal)
    return Intake(await current_result(session, stored), created=False)


def _principal_of(submission: SurveySubmission) -> Principal:
    """The cadre who submitted, as they were then: a survey applied later is still theirs."""
    return Principal(
        subject=submission.submitted_by,
        kind=PrincipalKind.USER,
        name=submission.submitter_name,
        roles=frozenset(submission.submitter_roles),
        regions=tuple(submission.submitter_regions),
    )


def _survey_of(submission: SurveySubmission, vault: PiiVault) -> SurveySubmit:
    assert submission.body_cipher is not None, "only submissions from before bodies were kept lack one"
    return SURVEY_ADAPTER.validate_json(vault.decrypt(submission.body_cipher))


def _distance_outside_km(latitude: float, longitude: float, box: tuple[float, float, float, float]) -> float:
    """Great-circle distance from a point to the nearest point of a south/west/north/east box (0 inside)."""
    south, west, north, east = box
    nearest_lat = min(max(latitude, south), north)
    nearest_lon = min(max(longitude, west), east)
    phi1, phi2 = math.radians(latitude), math.radians(nearest_lat)
    d_phi, d_lambda = phi2 - phi1, math.radians(nearest_lon - longitude)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def evidence_findings(survey: SurveySubmit, context: Context) -> tuple[list[FieldError], list[FieldError]]:
    """A capture time in the future (beyond the clock-skew allowance) is an error; far-away GPS a warning."""
    errors: list[FieldError] = []
    warnings: list[FieldError] = []
    settings = context.settings
    ahead = (survey.captured_at - context.clock.now()).total_seconds()
    if ahead > settings.survey_clock_skew_seconds:
        errors.append(
            FieldError(
                loc=["body", "captured_at"],
                message=f"The capture time is {ahead / 60:.0f} minutes ahead; check the phone's clock.",
                message_zh=f"采集时间比服务器时间晚 {ahead / 60:.0f} 分钟,请检查手机时间设置。",
                type="captured_in_future",
            )
        )
    if survey.household_id is not None and survey.base_version is None:
        errors.append(
            FieldError(
                loc=["body", "base_version"],
                message="A survey of an existing household names the version it started from.",
                message_zh="调查已有农户时须注明所依据的户信息版本。",
                type="missing",
            )
        )
    box = settings.county_bounds.get(county_of(survey.village_code))
    if survey.gps is not None and box is not None:
        distance = _distance_outside_km(survey.gps.latitude, survey.gps.longitude, box)
        if distance > settings.survey_gps_far_km:
            warnings.append(
                FieldError(
                    loc=["body", "gps"],
                    message=f"The survey was captured {distance:.0f} km outside the household's county.",
                    message_zh=f"采集位置在该户所在县范围以外约 {distance:.0f} 公里。",
                    type="gps_far_from_county",
                )
            )
    return errors, warnings


async def _checked(
    session: AsyncSession,
    survey: SurveySubmit,
    principal: Principal,
    context: Context,
    forms_seen: dict[tuple[str, int | None], SurveyForm] | None = None,
) -> tuple[SurveyForm, list[FieldError], list[str]]:
    """(form version, warnings, normalised ID numbers) of a survey the caller may send; else 403 or 422."""
    if not principal.covers(survey.village_code):
        raise Forbidden("The village is outside your regions.", "该村不在您的管辖范围内。")
    key = (survey.form_code, survey.form_version)
    form = (forms_seen or {}).get(key) or await forms.form_for(session, *key)
    if forms_seen is not None:
        forms_seen[key] = form
    findings = forms.check(await forms.definition_of(session, form), survey)
    evidence_errors, evidence_warnings = evidence_findings(survey, context)
    errors = [*findings.errors, *evidence_errors]
    numbers: list[str] = []
    try:
        numbers = validated_members(survey.members)
    except Unprocessable as exc:
        errors.extend(exc.fields or [])
    if errors:
        raise Unprocessable(
            "The survey is not valid; see fields.", "调查表数据校验未通过,请查看字段说明。", fields=errors
        )
    return form, [*findings.warnings, *evidence_warnings], numbers


def _new_submission(
    survey: SurveySubmit,
    digest: str,
    form: SurveyForm,
    warnings: list[FieldError],
    principal: Principal,
    vault: PiiVault,
) -> SurveySubmission:
    now = utcnow()
    return SurveySubmission(
        id=survey.submission_id,
        body_hash=digest,
        household_id=survey.household_id,
        base_version=survey.base_version,
        household_version=None,
        village_code=survey.village_code,
        form_code=form.code,
        form_version=form.version,
        status=RECEIVED,
        reason_code=None,
        reason=None,
        reason_zh=None,
        flags=[flag.model_dump(mode="json", exclude_none=True) for flag in warnings],
        body_cipher=vault.encrypt(survey.model_dump_json(exclude_unset=True)),
        submitted_by=principal.subject,
        submitter_name=principal.name,
        submitter_roles=sorted(principal.roles),
        submitter_regions=list(principal.regions),
        device_id=survey.device_id,
        app_version=survey.app_version,
        captured_at=survey.captured_at,
        latitude=survey.gps.latitude if survey.gps else None,
        longitude=survey.gps.longitude if survey.gps else None,
        gps_accuracy_m=survey.gps.accuracy_m if survey.gps else None,
        received_at=now,
        updated_at=now,
        reviewed_by=None,
        reviewed_at=None,
        decision=None,
        sync_sequence=None,
    )


async def submit(
    session: AsyncSession, survey: SurveySubmit, *, principal: Principal, context: Context
) -> Intake:
    digest = body_hash(survey)
    stored = await repository.get_submission(session, survey.submission_id)
    if stored is not None:
        return await _replay(session, stored, digest, principal)
    form, warnings, numbers = await _checked(session, survey, principal, context)
    submission = _new_submission(survey, digest, form, warnings, principal, context.vault)
    # Claim the submission id first: a concurrent resend waits here and then replays our result.
    if not await repository.claim_one(session, submission):
        stored = await repository.get_submission(session, survey.submission_id)
        assert stored is not None, "an id not claimed by us was claimed by someone else"
        return await _replay(session, stored, digest, principal)

    household = None
    if survey.household_id is not None:
        household = await households.get_household(
            session, survey.household_id, principal.region_prefixes(), for_update=True
        )
        if household is None:
            raise NotFound(*NOT_FOUND)
    missing: list[str] = []
    if survey.attachments:
        kinds = {attachment.sha256: attachment.kind for attachment in survey.attachments}
        session.add_all(
            SubmissionAttachment(submission_id=submission.id, sha256=sha256, kind=kind)
            for sha256, kind in kinds.items()
        )
        await session.flush()
        missing = (await repository.missing_attachments(session, [submission.id])).get(submission.id, [])
    if missing:
        _audit(session, principal, submission, "survey.receive", "收到入户调查")
        _publish_status(session, submission)
        return Intake(result_of(submission, missing), created=True)
    # Received and applied at once: the apply record (below) is the one audit record of both.
    await _apply(session, submission, survey, household, principal, context, numbers)
    return Intake(result_of(submission), created=True)


async def apply_waiting(session: AsyncSession, sha256: str, context: Context) -> int:
    """Apply the received submissions that were waiting only for this attachment; how many were."""
    applied = 0
    for submission in await repository.waiting_for(session, sha256, RECEIVED):
        if not (await repository.missing_attachments(session, [submission.id])).get(submission.id):
            await apply_stored(session, submission, context)
            applied += 1
    return applied


async def apply_received(
    session: AsyncSession, submissions: Sequence[SurveySubmission], context: Context
) -> None:
    """Apply received, complete submissions in order (the applier; the caller locked them).

    Runs of surveys of new households with nothing to review are written together (one flush for
    all instead of one each, which was most of a survey's cost); any other is applied on its own.
    """
    run: list[SurveySubmission] = []
    for submission in submissions:
        if _creates_without_review(submission, context):
            run.append(submission)
            continue
        await _create_together(session, run, context)
        run = []
        await apply_stored(session, submission, context)
    await _create_together(session, run, context)


def _creates_without_review(submission: SurveySubmission, context: Context) -> bool:
    # Opening an identification case is a workflow of its own: such surveys go one by one.
    return (
        submission.household_id is None
        and not submission.flags
        and not context.settings.survey_opens_identification_case
    )


async def _create_together(
    session: AsyncSession, submissions: list[SurveySubmission], context: Context
) -> None:
    if not submissions:
        return
    entries = [(_survey_of(row, context.vault), _principal_of(row)) for row in submissions]
    try:
        async with session.begin_nested():
            made = await create_from_surveys(session, entries, context.vault)
    except (IntegrityError, AppError):
        # Someone else wrote one of these members meanwhile, or a survey no longer passes: one by one,
        # each gets its own outcome.
        for submission in submissions:
            await apply_stored(session, submission, context)
        return
    for submission, (_survey, submitter), household in zip(submissions, entries, made, strict=True):
        if household is None:
            await apply_stored(session, submission, context)  # a member is taken: it says by whom
        else:
            _accept(submission, household)
            _record_outcome(session, submitter, submission)


async def apply_stored(session: AsyncSession, submission: SurveySubmission, context: Context) -> None:
    """Apply a received, complete submission as its author would have (the caller locked it)."""
    survey = _survey_of(submission, context.vault)
    submitter = _principal_of(submission)
    household = None
    if submission.household_id is not None:
        household = await households.get_household(
            session, submission.household_id, submitter.region_prefixes(), for_update=True
        )
        if household is None:
            _settle(
                submission,
                REJECTED,
                "household_gone",
                "The household is no longer in your regions.",
                "该户已不在您的管辖范围内。",
            )
            _publish_status(session, submission)
            return
    await _apply(session, submission, survey, household, submitter, context)


def _settle(
    submission: SurveySubmission,
    status: str,
    code: str | None = None,
    reason: str | None = None,
    reason_zh: str | None = None,
) -> None:
    submission.status = status
    submission.reason_code = code
    submission.reason = reason
    submission.reason_zh = reason_zh
    submission.updated_at = utcnow()


async def _apply(
    session: AsyncSession,
    submission: SurveySubmission,
    survey: SurveySubmit,
    household: Household | None,
    actor: Principal,
    context: Context,
    numbers: list[str] | None = None,
) -> None:
    """Apply a complete submission to its household, or keep it for a reviewer and say why."""
    if household is not None and submission.base_version != household.version:
        _settle(
            submission,
            NEEDS_REVIEW,
            "stale_version",
            f"The household changed since version {submission.base_version} (now {household.version}); "
            "a reviewer will choose which values to keep.",
            f"该户信息在第 {submission.base_version} 版之后已被修改(现为第 {household.version} 版),"
            "将由审核人员逐项确定采用哪些数据。",
        )
    elif submission.flags:
        _settle(
            submission,
            NEEDS_REVIEW,
            "implausible_values",
            "Some values are implausible; a reviewer will check them before they are recorded.",
            "部分数据超出合理范围,须经审核人员核实后入档。",
        )
    else:
        created = household is None
        try:
            async with session.begin_nested():
                household = await apply_survey(
                    session, survey, household, principal=actor, vault=context.vault, numbers=numbers
                )
                if created and context.settings.survey_opens_identification_case:
                    await _open_identification(session, household, submission, actor, context.clock)
                # Recorded before the savepoint's release, which writes them with the household's rows.
                _accept(submission, household)
                _record_outcome(session, actor, submission)
            return
        except Conflict as exc:
            possible_duplicate = exc.code == "member_in_other_household"
            _settle(
                submission,
                NEEDS_REVIEW,
                "possible_duplicate" if possible_duplicate else exc.code,
                exc.detail,
                exc.detail_zh,
            )
    _record_outcome(session, actor, submission)


def _accept(submission: SurveySubmission, household: Household) -> None:
    _settle(submission, ACCEPTED)
    submission.household_id = household.id
    submission.household_version = household.version


def _record_outcome(session: AsyncSession, actor: Principal, submission: SurveySubmission) -> None:
    _audit(session, actor, submission, "survey.apply", "入户调查处理结果")
    _publish_status(session, submission)


async def _open_identification(
    session: AsyncSession, household: Household, submission: SurveySubmission, cadre: Principal, clock: Clock
) -> None:
    """A survey of a new household is its application and its household survey (steps 1 and 2 of 002)."""
    case = await cases.start(
        session,
        household,
        CaseKind.IDENTIFICATION,
        principal=cadre,
        clock=clock,
        note="入户调查新建农户",
        details={"submission_id": str(submission.id)},
    )
    survey_step = WORKFLOWS[CaseKind.IDENTIFICATION].steps[1]
    if case.step == survey_step.code:
        await cases.complete_step(
            session,
            case,
            survey_step,
            principal=cadre,
            role=cases.acting_role(cadre, survey_step),
            note="入户调查",
            data={"submission_id": str(submission.id), "household_version": household.version},
            clock=clock,
        )


def _audit(
    session: AsyncSession, actor: Principal, submission: SurveySubmission, action: str, reason: str
) -> None:
    record_audit(
        session,
        AuditRecord,
        actor=actor,
        action=action,
        entity_type="survey_submission",
        entity_id=str(submission.id),
        outcome=submission.status,
        reason=reason,
        detail={
            "household_id": str(submission.household_id) if submission.household_id else None,
            "household_version": submission.household_version,
            "reason_code": submission.reason_code,
            "flags": [flag.get("type") for flag in submission.flags],
        },
    )


def _publish_status(session: AsyncSession, submission: SurveySubmission) -> None:
    publish(
        session,
        OutboxEvent,
        contract.SURVEY_STATUS_CHANGED,
        str(submission.id),
        contract.SurveyStatusChanged(
            submission_id=submission.id,
            submitted_by=submission.submitted_by,
            status=submission.status,
            household_id=submission.household_id,
            household_version=submission.household_version,
        ).model_dump(mode="json"),
    )


async def receive_batch(
    session: AsyncSession, items: list[dict[str, Any]], *, principal: Principal, context: Context
) -> BatchResult:
    """Check every item and store the good ones as received, in one statement; the applier applies them.

    Items stand alone: a bad one gets its own error and the others go on (partial success). Each stored
    item is applied later with its own outcome, in the order received (SurveyApplier); its outcome
    reaches the phone through the sync. A resent item gets its stored state (200), as a single resend.
    """
    limit = context.settings.survey_batch_max
    if len(items) > limit:
        raise Unprocessable(
            f"At most {limit} submissions in one batch.",
            f"每批最多提交 {limit} 份调查表。",
            fields=[
                FieldError(
                    loc=["body", "submissions"],
                    message=f"at most {limit} items",
                    message_zh=f"最多 {limit} 份",
                )
            ],
        )
    outcomes: dict[int, BatchItem] = {}
    surveys: list[tuple[int, SurveySubmit]] = []
    for index, item in enumerate(items):
        try:
            surveys.append((index, SURVEY_ADAPTER.validate_python(item)))
        except ValidationError as exc:
            error = ItemError(
                error="validation_failed",
                detail="The survey is not valid; see fields.",
                detail_zh="调查表数据校验未通过,请查看字段说明。",
                fields=validation_field_errors(exc.errors(), prefix=["body", "submissions", index]),
            )
            outcomes[index] = BatchItem(
                index=index, submission_id=_submission_id_of(item), status_code=422, error=error
            )
    stored = await repository.submissions_by_id(session, [survey.submission_id for _, survey in surveys])
    replayed = await current_results(session, list(stored.values()))
    visible = await repository.visible_households(
        session,
        [survey.household_id for _, survey in surveys if survey.household_id],
        principal.region_prefixes(),
    )
    forms_seen: dict[tuple[str, int | None], SurveyForm] = {}
    fresh: dict[uuid.UUID, tuple[int, SurveySubmit, SurveySubmission]] = {}
    repeats: list[tuple[int, SurveySubmit, str]] = []
    for index, survey in surveys:
        digest = body_hash(survey)
        try:
            if survey.submission_id in stored:
                _ensure_resent(stored[survey.submission_id], digest, principal)
                outcomes[index] = _item(index, survey, Intake(replayed[survey.submission_id], created=False))
                continue
            if survey.submission_id in fresh:
                repeats.append((index, survey, digest))
                continue
            form, warnings, _ = await _checked(session, survey, principal, context, forms_seen)
            if survey.household_id is not None and survey.household_id not in visible:
                raise NotFound(*NOT_FOUND)
        except AppError as exc:
            outcomes[index] = _error_item(index, survey.submission_id, exc)
            continue
        row = _new_submission(survey, digest, form, warnings, principal, context.vault)
        fresh[survey.submission_id] = (index, survey, row)

    claimed = await repository.claim(session, [row for _, _, row in fresh.values()])
    for submission_id, (index, survey, row) in fresh.items():
        if submission_id not in claimed:
            # Another request stored this id between our read and our insert: it is theirs to answer.
            winner = await repository.get_submission(session, submission_id)
            assert winner is not None, "an id not claimed by us was claimed by someone else"
            try:
                outcomes[index] = _item(
                    index, survey, await _replay(session, winner, row.body_hash, principal)
                )
            except AppError as exc:
                outcomes[index] = _error_item(index, submission_id, exc)
            continue
        session.add_all(
            SubmissionAttachment(submission_id=submission_id, sha256=sha256, kind=kind)
            for sha256, kind in {a.sha256: a.kind for a in survey.attachments}.items()
        )
        _audit(session, principal, row, "survey.receive", "收到入户调查(批量)")
        missing = sorted({attachment.sha256 for attachment in survey.attachments})
        outcomes[index] = BatchItem(
            index=index, submission_id=submission_id, status_code=201, result=result_of(row, missing)
        )
    missing_now = await repository.missing_attachments(session, [sid for sid in fresh if sid in claimed])
    for submission_id, (index, _, _) in fresh.items():
        result = outcomes[index].result
        if result is not None and submission_id in claimed:
            result.missing_attachments = missing_now.get(submission_id, [])
    for index, survey, digest in repeats:
        first = outcomes[fresh[survey.submission_id][0]]
        if digest != fresh[survey.submission_id][2].body_hash:
            outcomes[index] = _error_item(
                index,
                survey.submission_id,
                Conflict(
                    "This submission id was already used for a different survey.",
                    "该提交编号已用于另一份调查表。",
                    code="submission_id_reused",
                ),
            )
        else:
            outcomes[index] = first.model_copy(update={"index": index, "status_code": 200})
    return BatchResult(items=[outcomes[index] for index in range(len(items))])


def _item(index: int, survey: SurveySubmit, intake: Intake) -> BatchItem:
    return BatchItem(
        index=index,
        submission_id=survey.submission_id,
        status_code=201 if intake.created else 200,
        result=intake.result,
    )


def _error_item(index: int, submission_id: uuid.UUID | None, exc: AppError) -> BatchItem:
    error = ItemError(error=exc.code, detail=exc.detail, detail_zh=exc.detail_zh, fields=exc.fields)
    return BatchItem(index=index, submission_id=submission_id, status_code=exc.status_code, error=error)


def _submission_id_of(item: dict[str, Any]) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(item.get("submission_id")))
    except ValueError:
        return None


async def get_submission(
    session: AsyncSession, submission_id: uuid.UUID, principal: Principal
) -> SurveyResult:
    """A submission, for its author or for someone whose regions cover its village."""
    submission = await repository.get_submission(session, submission_id)
    if submission is None or not (
        submission.submitted_by == principal.subject or principal.covers(submission.village_code)
    ):
        raise NotFound("Submission not found.", "未找到该提交。")
    return await current_result(session, submission)


# Review (审核): what a reviewer sees, and their decision.

SECTIONS = {
    "income": ("wages_fen", "production_net_fen", "property_fen", "transfer_fen", "production_cost_fen"),
    "housing": ("structure", "area_m2", "safety_grade", "drinking_water_safe"),
}
HOUSING_COLUMNS = {
    "structure": "housing_structure",
    "area_m2": "housing_area_m2",
    "safety_grade": "housing_safety_grade",
    "drinking_water_safe": "drinking_water_safe",
}
PROFILE_FIELDS = (
    "group_name",
    "poverty_degree",
    "main_cause",
    "secondary_causes",
    "dibao_allowance_fen",
    "food_clothing_secure",
    "education_secured",
    "medical_secured",
    "housing_secured",
    "relocated",
)
MEMBER_FIELDS = ("name", "id_number", "sex", "birth_date", "relation", "labour_capacity")


def _current_members(members: Sequence[Member], vault: PiiVault) -> list[dict[str, Any]]:
    return [
        {
            "name": member.name,
            "id_number": vault.decrypt(member.id_number_cipher),
            "sex": member.sex,
            "birth_date": member.birth_date.isoformat(),
            "relation": member.relation,
            "labour_capacity": member.labour_capacity,
        }
        for member in members
    ]


def _members_key(members: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    return sorted(tuple(str(member[name]).upper() for name in MEMBER_FIELDS) for member in members)


def _comparisons(
    survey: SurveySubmit, household: Household, members: Sequence[Member], vault: PiiVault
) -> tuple[list[FieldComparison], dict[str, Any], dict[str, Any]]:
    """Field-by-field comparison of a survey with the household now; also the raw values on each side."""
    document = survey.model_dump(mode="json", exclude_unset=True)
    submitted: dict[str, Any] = {"village_code": survey.village_code}
    current: dict[str, Any] = {"village_code": household.village_code}
    for name in SECTIONS["income"]:
        submitted[f"income.{name}"] = document["income"].get(name, 0)
        current[f"income.{name}"] = getattr(household, name)
    housing = survey.housing.model_dump(mode="json")
    for name in SECTIONS["housing"]:
        submitted[f"housing.{name}"] = housing[name]
        current[f"housing.{name}"] = getattr(household, HOUSING_COLUMNS[name])
    # 60 as typed and 60.00 as stored are one area.
    submitted["housing.area_m2"] = format(survey.housing.area_m2.normalize(), "f")
    if household.housing_area_m2 is not None:
        current["housing.area_m2"] = format(household.housing_area_m2.normalize(), "f")
    for name, value in (document.get("profile") or {}).items():
        submitted[f"profile.{name}"] = value
        current[f"profile.{name}"] = getattr(household, name)
    if survey.bank_account is not None:
        submitted["bank_account"] = survey.bank_account.model_dump()
        current["bank_account"] = (
            {"bank_name": household.bank_name, "account_number": vault.decrypt(household.bank_account_cipher)}
            if household.bank_account_cipher is not None
            else None
        )
    submitted["members"] = [
        {name: str(value) for name, value in member.items() if name in MEMBER_FIELDS}
        for member in document["members"]
    ]
    current["members"] = _current_members(members, vault)
    comparisons = []
    shown: tuple[Any, Any]
    for path, value in submitted.items():
        if path == "members":
            differs = _members_key(value) != _members_key(current[path])
            shown = ([_member_line(m) for m in value], [_member_line(m) for m in current[path]])
        elif path == "bank_account":
            differs = value != current[path]
            shown = (_masked_account(value), _masked_account(current[path]))
        else:
            differs = value != current.get(path)
            shown = (value, current.get(path))
        comparisons.append(FieldComparison(path=path, submitted=shown[0], current=shown[1], differs=differs))
    return comparisons, submitted, current


def _member_line(member: dict[str, Any]) -> str:
    number = str(member["id_number"])
    masked = f"{number[:4]}{'*' * 10}{number[-4:]}"
    return f"{member['name']} {masked} {member['relation']} {member['labour_capacity']}"


def _masked_account(account: dict[str, Any] | None) -> str | None:
    if account is None:
        return None
    number = str(account["account_number"])
    return f"{account['bank_name']} {'*' * (len(number) - 4)}{number[-4:]}"


async def for_review(
    session: AsyncSession, principal: Principal, status: str, limit: int, offset: int
) -> list[SurveyResult]:
    rows = await repository.for_review(session, principal.region_prefixes(), status, limit, offset)
    missing = await repository.missing_attachments(session, [row.id for row in rows])
    return [result_of(row, missing.get(row.id, [])) for row in rows]


async def review_view(
    session: AsyncSession, submission_id: uuid.UUID, principal: Principal, vault: PiiVault
) -> ReviewOut:
    submission = await repository.visible_submission(session, submission_id, principal.region_prefixes())
    if submission is None:
        raise NotFound("Submission not found.", "未找到该提交。")
    fields: list[FieldComparison] = []
    current_version = None
    if submission.body_cipher is not None and submission.household_id is not None:
        household = await households.get_household(session, submission.household_id, ("",))
        if household is not None:
            current_version = household.version
            fields, _, _ = _comparisons(
                _survey_of(submission, vault),
                household,
                await households.active_members(session, household.id),
                vault,
            )
    return _review_out(await current_result(session, submission), submission, current_version, fields)


def _review_out(
    result: SurveyResult,
    submission: SurveySubmission,
    current_version: int | None,
    fields: list[FieldComparison],
) -> ReviewOut:
    return ReviewOut(
        **result.model_dump(),
        village_code=submission.village_code,
        submitted_by=submission.submitted_by,
        submitter_name=submission.submitter_name,
        device_id=submission.device_id,
        app_version=submission.app_version,
        captured_at=submission.captured_at,
        latitude=submission.latitude,
        longitude=submission.longitude,
        gps_accuracy_m=submission.gps_accuracy_m,
        current_version=current_version,
        fields=fields,
        reviewed_by=submission.reviewed_by,
        reviewed_at=submission.reviewed_at,
    )


def _merged(
    survey: SurveySubmit,
    submitted: dict[str, Any],
    current: dict[str, Any],
    comparisons: list[FieldComparison],
    choices: Mapping[str, str],
    must_choose: bool,
) -> SurveySubmit:
    """The survey with the reviewer's choice applied to each differing field (422 for a missing choice)."""
    differing = {comparison.path for comparison in comparisons if comparison.differs}
    problems = [
        FieldError(
            loc=["body", "choices", path],
            message="not a field of this survey",
            message_zh="不是该调查表的字段",
        )
        for path in sorted(set(choices) - set(submitted))
    ]
    if must_choose:
        problems.extend(
            FieldError(
                loc=["body", "choices", path],
                message="The household changed here too: choose submitted or current.",
                message_zh="该项在调查后已被修改,请选择采用调查值(submitted)或现有值(current)。",
                type="missing",
            )
            for path in sorted(differing - set(choices))
        )
    if problems:
        raise Unprocessable(
            "Choose a value for each conflicting field.", "请逐项选择冲突字段的取值。", fields=problems
        )
    document = survey.model_dump(mode="json", exclude_unset=True)
    for path in differing:
        if choices.get(path, "submitted") == "submitted":
            continue
        value = current[path]
        section, _, name = path.partition(".")
        if name:
            document.setdefault(section, {})[name] = value
        elif section == "members":
            document["members"] = value
        else:
            document[section] = value
    return SURVEY_ADAPTER.validate_python(document)


async def decide(
    session: AsyncSession, submission_id: uuid.UUID, body: Decision, *, principal: Principal, context: Context
) -> ReviewOut:
    vault = context.vault
    submission = await repository.visible_submission(
        session, submission_id, principal.region_prefixes(), for_update=True
    )
    if submission is None:
        raise NotFound("Submission not found.", "未找到该提交。")
    if submission.status != NEEDS_REVIEW:
        raise Conflict(
            f"The submission is {submission.status}, not waiting for review.",
            f"该提交当前为“{STATUS_LABELS[submission.status]}”,无需审核。",
            code="not_awaiting_review",
        )
    if submission.submitted_by == principal.subject:
        raise Forbidden("Nobody reviews their own survey.", "不能审核本人提交的调查。", code="own_submission")
    decision: dict[str, Any] = {
        "decision": body.decision,
        "reason": body.reason,
        "choices": dict(sorted(body.choices.items())),
    }
    fields: list[FieldComparison] = []
    current_version = None
    if body.decision == "reject":
        _settle(submission, REJECTED, "rejected_by_reviewer", body.reason, body.reason)
    else:
        survey = _survey_of(submission, vault)
        household = None
        merged = survey
        if submission.household_id is not None:
            household = await households.get_household(
                session, submission.household_id, principal.region_prefixes(), for_update=True
            )
            if household is None:
                raise NotFound(*NOT_FOUND)
            ensure_current(household, body.base_version)
            members = await households.active_members(session, household.id)
            fields, submitted, current = _comparisons(survey, household, members, vault)
            merged = _merged(
                survey,
                submitted,
                current,
                fields,
                body.choices,
                must_choose=submission.base_version != household.version,
            )
        created = household is None
        household = await apply_survey(
            session,
            merged,
            household,
            principal=principal,
            vault=vault,
            reason=f"入户调查审核通过:{body.reason}",
        )
        if created and context.settings.survey_opens_identification_case:
            # The cadre's survey was the application: the case is theirs, the reviewer let it through.
            await _open_identification(
                session, household, submission, _principal_of(submission), context.clock
            )
        _settle(submission, ACCEPTED, "accepted_by_reviewer", body.reason, body.reason)
        submission.household_id = household.id
        submission.household_version = household.version
        current_version = household.version
    submission.reviewed_by = principal.subject
    submission.reviewed_at = utcnow()
    submission.decision = decision
    record_audit(
        session,
        AuditRecord,
        actor=principal,
        action=f"survey.{body.decision}",
        entity_type="survey_submission",
        entity_id=str(submission.id),
        outcome=submission.status,
        reason=body.reason,
        detail={
            **decision,
            "household_id": str(submission.household_id) if submission.household_id else None,
            "household_version": submission.household_version,
            "submitted_by": submission.submitted_by,
        },
    )
    _publish_status(session, submission)
    return _review_out(await current_result(session, submission), submission, current_version, fields)
