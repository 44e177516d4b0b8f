"""Survey forms as data: shipped and published versions, and checking a survey against its version."""

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import record_audit
from services.kit.auth import Principal
from services.kit.database import utcnow
from services.kit.errors import Conflict, FieldError, NotFound, Unprocessable
from services.registry.forms import repository
from services.registry.forms.schemas import Bound, FormDefinition, FormField, FormOut, FormVersionOut
from services.registry.households.service import per_capita_net_income
from services.registry.models import AuditRecord, SurveyForm
from services.registry.schemas import SurveySubmit

SHIPPED = Path(__file__).parent / "shipped"
HOUSEHOLD_SURVEY = "household-survey"
OPEN = "open"
CLOSED = "closed"
STATUS_LABELS = {OPEN: "启用中", CLOSED: "已停用"}
SYSTEM = "system"

_definitions: dict[uuid.UUID, FormDefinition] = {}


async def definition_of(session: AsyncSession, form: SurveyForm) -> FormDefinition:
    """The parsed definition; a published version never changes, so it is read and parsed once per process."""
    parsed = _definitions.get(form.id)
    if parsed is None:
        # Deferred (models.py): present only on a version published in this session.
        unloaded = "definition" in inspect(form).unloaded
        document = await repository.definition(session, form.id) if unloaded else form.definition
        parsed = _definitions[form.id] = FormDefinition.model_validate(document)
    return parsed


def version_out(form: SurveyForm) -> FormVersionOut:
    return FormVersionOut(
        id=form.id,
        code=form.code,
        version=form.version,
        status=form.status,
        status_label=STATUS_LABELS[form.status],
        title_zh=form.title_zh,
        title_en=form.title_en,
        published_at=form.published_at,
        closed_at=form.closed_at,
    )


async def form_out(session: AsyncSession, form: SurveyForm) -> FormOut:
    return FormOut(**version_out(form).model_dump(), definition=await definition_of(session, form))


def shipped_definitions() -> list[FormDefinition]:
    return [
        FormDefinition.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        for path in sorted(SHIPPED.glob("*.yaml"))
    ]


async def sync_shipped(session: AsyncSession) -> None:
    """Publish each shipped form version that is not in the database yet (start-up)."""
    for definition in shipped_definitions():
        if await repository.get(session, definition.code, definition.version) is not None:
            continue
        try:
            # Replicas start together: the one that loses the race finds the version published.
            async with session.begin_nested():
                session.add(_row(definition, SYSTEM))
                await session.flush()
        except IntegrityError:
            continue


def _row(definition: FormDefinition, author: str) -> SurveyForm:
    return SurveyForm(
        code=definition.code,
        version=definition.version,
        status=OPEN,
        title_zh=definition.title_zh,
        title_en=definition.title_en,
        definition=definition.model_dump(mode="json", exclude_none=True),
        published_at=utcnow(),
        published_by=author,
    )


async def list_versions(session: AsyncSession) -> list[FormVersionOut]:
    return [version_out(form) for form in await repository.all_versions(session)]


async def current(session: AsyncSession, code: str) -> FormOut:
    form = await repository.latest_open(session, code, OPEN)
    if form is None:
        raise NotFound("No open version of this form.", "该调查表没有启用中的版本。")
    return await form_out(session, form)


async def get(session: AsyncSession, code: str, version: int) -> FormOut:
    form = await repository.get(session, code, version)
    if form is None:
        raise NotFound("No such form version.", "未找到该调查表版本。")
    return await form_out(session, form)


async def publish(session: AsyncSession, definition: FormDefinition, principal: Principal) -> FormOut:
    form = _row(definition, principal.subject)
    try:
        async with session.begin_nested():
            session.add(form)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"Version {definition.version} of {definition.code} already exists; versions never change.",
            f"调查表 {definition.code} 第 {definition.version} 版已存在,已发布的版本不可修改。",
            code="form_version_exists",
        ) from exc
    record_audit(
        session,
        AuditRecord,
        actor=principal,
        action="survey_form.publish",
        entity_type="survey_form",
        entity_id=str(form.id),
        reason="发布调查表版本",
        detail={"code": form.code, "version": form.version},
    )
    return await form_out(session, form)


async def close(session: AsyncSession, code: str, version: int, reason: str, principal: Principal) -> FormOut:
    form = await repository.get(session, code, version)
    if form is None:
        raise NotFound("No such form version.", "未找到该调查表版本。")
    if form.status != CLOSED:
        form.status = CLOSED
        form.closed_at = utcnow()
        form.closed_by = principal.subject
        record_audit(
            session,
            AuditRecord,
            actor=principal,
            action="survey_form.close",
            entity_type="survey_form",
            entity_id=str(form.id),
            reason=reason,
            detail={"code": form.code, "version": form.version},
        )
    return await form_out(session, form)


async def form_for(session: AsyncSession, code: str, version: int | None) -> SurveyForm:
    """The version a submission names (the current one when it names none); closed ones are refused."""
    form = (
        await repository.latest_open(session, code, OPEN)
        if version is None
        else await repository.get(session, code, version)
    )
    if form is None:
        raise Unprocessable(
            f"Form {code} has no {'open version' if version is None else f'version {version}'}.",
            f"调查表 {code} 没有{'启用中的版本' if version is None else f'第 {version} 版'}。",
            code="form_version_unknown",
            fields=[
                FieldError(
                    loc=["body", "form_version"],
                    message="unknown form version",
                    message_zh="未知的调查表版本",
                )
            ],
        )
    if form.status == CLOSED:
        raise Unprocessable(
            f"Version {form.version} of form {code} is closed; update the app and use the current version.",
            f"调查表第 {form.version} 版已停用,请更新应用后按现行版本重新填写。",
            code="form_version_closed",
            fields=[
                FieldError(
                    loc=["body", "form_version"],
                    message="this form version is closed",
                    message_zh="该调查表版本已停用",
                    type="form_version_closed",
                )
            ],
        )
    return form


@dataclass(frozen=True)
class Findings:
    """What checking a survey against its form found: errors refuse it, warnings send it to review."""

    errors: list[FieldError]
    warnings: list[FieldError]


def check(definition: FormDefinition, survey: SurveySubmit) -> Findings:
    document = survey.model_dump()
    errors: list[FieldError] = []
    warnings: list[FieldError] = []
    declared = {
        field.path.removeprefix("answers.")
        for field in definition.fields()
        if field.path.startswith("answers.")
    }
    for key in sorted(set(survey.answers) - declared):
        errors.append(
            FieldError(
                loc=["body", "answers", key],
                message=f"Form version {definition.version} has no field {key!r}.",
                message_zh=f"该调查表版本没有“{key}”一项。",
                type="unknown_field",
            )
        )
    for field in definition.fields():
        for loc, value in _values(document, field.path):
            _check_value(field, ["body", *loc], value, errors, warnings)
    for derived in definition.derived:
        value = _derived(derived.key, survey)
        if value is None:
            continue
        if derived.warn_max is not None and value > derived.warn_max:
            warnings.append(
                _implausible(
                    ["derived", derived.key],
                    derived.label_en,
                    derived.label_zh,
                    value,
                    "max",
                    derived.warn_max,
                )
            )
        if derived.warn_min is not None and value < derived.warn_min:
            warnings.append(
                _implausible(
                    ["derived", derived.key],
                    derived.label_en,
                    derived.label_zh,
                    value,
                    "min",
                    derived.warn_min,
                )
            )
    return Findings(errors, warnings)


def _derived(key: str, survey: SurveySubmit) -> Decimal | None:
    if key == "per_capita_net_income_fen":
        return Decimal(per_capita_net_income(survey.income, len(survey.members)))
    return survey.housing.area_m2 / len(survey.members)


def _values(document: dict[str, Any], path: str) -> list[tuple[list[str | int], Any]]:
    """(location, value) of each place the path names: once, or once per member for `members[].x`."""
    head, _, rest = path.partition("[].")
    if rest:
        items = document.get(head) or []
        return [
            ([head, index, *rest.split(".")], _dig(item, rest.split("."))) for index, item in enumerate(items)
        ]
    parts = path.split(".")
    return [(list(parts), _dig(document, parts))]


def _dig(document: Any, parts: list[str]) -> Any:
    for part in parts:
        if not isinstance(document, dict):
            return None
        document = document.get(part)
    return document


def _check_value(
    field: FormField, loc: list[str | int], value: Any, errors: list[FieldError], warnings: list[FieldError]
) -> None:
    if value is None or value in ("", []):
        if field.required:
            errors.append(
                FieldError(
                    loc=loc,
                    message=f"{field.label_en} is required.",
                    message_zh=f"{field.label_zh}为必填项。",
                    type="missing",
                )
            )
        return
    typed = _typed(field, value)
    if typed is None:
        errors.append(
            FieldError(
                loc=loc,
                message=f"{field.label_en} must be a value of type {field.type}.",
                message_zh=f"{field.label_zh}的取值类型不正确。",
                type="wrong_type",
            )
        )
        return
    if field.choices:
        allowed = {choice.value for choice in field.choices}
        chosen = typed if isinstance(typed, list) else [typed]
        if any(str(item) not in allowed for item in chosen):
            errors.append(
                FieldError(
                    loc=loc,
                    message=f"{field.label_en} must be one of: {', '.join(sorted(allowed))}.",
                    message_zh=f"{field.label_zh}须为:{'、'.join(c.label_zh for c in field.choices)}。",
                    type="not_a_choice",
                )
            )
        return
    if field.max_length is not None and isinstance(typed, str) and len(typed) > field.max_length:
        errors.append(
            FieldError(
                loc=loc,
                message=f"{field.label_en} is longer than {field.max_length} characters.",
                message_zh=f"{field.label_zh}不能超过 {field.max_length} 个字符。",
                type="too_long",
            )
        )
        return
    if not isinstance(typed, Decimal | dt.date):
        return
    if _beyond(typed, field.min, below=True) or _beyond(typed, field.max, below=False):
        bound, word, word_zh = (
            (field.min, "at least", "不能小于")
            if _beyond(typed, field.min, below=True)
            else (field.max, "at most", "不能大于")
        )
        errors.append(
            FieldError(
                loc=loc,
                message=f"{field.label_en} must be {word} {bound}.",
                message_zh=f"{field.label_zh}{word_zh} {bound}。",
                type="out_of_range",
            )
        )
    elif _beyond(typed, field.warn_min, below=True):
        warnings.append(_implausible(loc, field.label_en, field.label_zh, typed, "min", field.warn_min))
    elif _beyond(typed, field.warn_max, below=False):
        warnings.append(_implausible(loc, field.label_en, field.label_zh, typed, "max", field.warn_max))


def _typed(field: FormField, value: Any) -> Any:
    """The value as the field's type (None when it is not of that type); answers arrive as plain JSON."""
    if field.type in ("integer", "money_fen", "decimal"):
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
            return None
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return None
        if field.type != "decimal" and number != number.to_integral_value():
            return None
        return number
    if field.type in ("date", "datetime"):
        if isinstance(value, dt.date):
            return value.date() if isinstance(value, dt.datetime) and field.type == "date" else value
        try:
            return (
                dt.date.fromisoformat(str(value))
                if field.type == "date"
                else dt.datetime.fromisoformat(str(value))
            )
        except ValueError:
            return None
    if field.type == "boolean":
        return value if isinstance(value, bool) else None
    if field.type == "multi_choice":
        return [str(item) for item in value] if isinstance(value, list) else None
    if field.type in ("text", "choice", "id_number", "division_code"):
        return str(value) if isinstance(value, str) else None
    return value


def _beyond(value: Decimal | dt.date, bound: Bound, *, below: bool) -> bool:
    """Whether the value lies past the bound (bounds of another kind than the value do not apply)."""
    comparable = (isinstance(value, Decimal) and isinstance(bound, Decimal)) or (
        type(value) is dt.date and type(bound) is dt.date
    )
    if not comparable:
        return False
    return bool(value < bound) if below else bool(value > bound)  # type: ignore[operator]


def _implausible(
    loc: list[str | int], label_en: str, label_zh: str, value: Any, side: str, bound: Any
) -> FieldError:
    if side == "max":
        return FieldError(
            loc=loc,
            message=f"{label_en} of {value} is above the plausible {bound}; a reviewer will check it.",
            message_zh=f"{label_zh}为 {value},高于合理上限 {bound},将由审核人员核实。",
            type="implausible_high",
        )
    return FieldError(
        loc=loc,
        message=f"{label_en} of {value} is below the plausible {bound}; a reviewer will check it.",
        message_zh=f"{label_zh}为 {value},低于合理下限 {bound},将由审核人员核实。",
        type="implausible_low",
    )
