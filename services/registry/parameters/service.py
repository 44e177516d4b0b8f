"""Policy numbers as data: the most specific region's value in force on a date (national by default)."""

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import record_audit
from services.kit.auth import Principal
from services.kit.errors import Conflict, FieldError, Forbidden, Unprocessable
from services.kit.regions import region_prefix
from services.registry.models import AuditRecord, RegistryParameter
from services.registry.parameters import repository
from services.registry.schemas import ParameterIn, ParameterOut
from services.registry.vocabulary import HelperRank, SchoolingStage

SHIPPED = Path(__file__).parent / "shipped.yaml"
NonNegative = Annotated[int, Field(ge=0, le=100_000)]


class MonthDay(BaseModel):
    model_config = ConfigDict(extra="forbid")

    month: Annotated[int, Field(ge=1, le=12)]
    day: Annotated[int, Field(ge=1, le=31)]

    def in_year(self, year: int) -> dt.date:
        return dt.date(year, self.month, self.day)

    @model_validator(mode="after")
    def _real_day(self) -> "MonthDay":
        dt.date(2024, self.month, self.day)  # a leap year, so 02-29 is allowed
        return self


class AgeSpan(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_age: Annotated[int, Field(ge=0, le=120, alias="from")]
    to_age: Annotated[int, Field(ge=0, le=120, alias="to")]

    def covers(self, age: int) -> bool:
        return self.from_age <= age <= self.to_age


SCHEMAS: dict[str, TypeAdapter[Any]] = {
    "identification_village_notice_days": TypeAdapter(NonNegative),
    "identification_township_notice_days": TypeAdapter(NonNegative),
    "identification_county_notice_days": TypeAdapter(NonNegative),
    "exit_village_notice_days": TypeAdapter(NonNegative),
    "exit_township_notice_days": TypeAdapter(NonNegative),
    "exit_announcement_days": TypeAdapter(NonNegative),
    "relapse_notice_days": TypeAdapter(NonNegative),
    "revocation_notice_days": TypeAdapter(NonNegative),
    "deliberation_min_attendance": TypeAdapter(NonNegative),
    "exit_grace_years": TypeAdapter(NonNegative),
    "annual_review_deadline": TypeAdapter(MonthDay),
    "pairing_quota": TypeAdapter(dict[HelperRank, NonNegative]),
    "visit_min_per_month": TypeAdapter(NonNegative),
    "min_income_measures": TypeAdapter(NonNegative),
    "schooling_age_ranges": TypeAdapter(dict[SchoolingStage, tuple[NonNegative, NonNegative]]),
    "compulsory_education_ages": TypeAdapter(AgeSpan),
    "parent_child_min_age_gap": TypeAdapter(NonNegative),
}


def _validated(key: str, value: Any, loc: list[str | int]) -> Any:
    schema = SCHEMAS.get(key)
    if schema is None:
        raise Unprocessable(
            f"Unknown parameter {key!r}.",
            f"未知参数 {key}。",
            fields=[FieldError(loc=[*loc[:-1], "key"], message=f"known keys: {', '.join(sorted(SCHEMAS))}")],
        )
    try:
        return schema.validate_python(value)
    except ValidationError as exc:
        raise Unprocessable(
            f"The value of {key} is not valid.",
            f"参数 {key} 的取值无效。",
            fields=[FieldError(loc=loc, message=err["msg"], type=err["type"]) for err in exc.errors()],
        ) from exc


def shipped() -> list[ParameterIn]:
    return [
        ParameterIn.model_validate(entry) for entry in yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    ]


async def sync_shipped(session: AsyncSession) -> None:
    """Add each shipped default that is not in the database yet (a county's own rows are never touched)."""
    for entry in shipped():
        _validated(entry.key, entry.value, ["value"])
        if not await repository.exists(session, entry.key, entry.region_code, entry.effective_from):
            session.add(
                RegistryParameter(
                    key=entry.key,
                    region_code=entry.region_code,
                    effective_from=entry.effective_from,
                    value=entry.value,
                    source=entry.source,
                    recorded_by="shipped",
                )
            )
    await session.flush()


def _applicable(rows: list[RegistryParameter], region_code: str, on: dt.date) -> RegistryParameter | None:
    candidates = [
        row
        for row in rows
        if region_code.startswith(region_prefix(row.region_code)) and row.effective_from <= on
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda row: (len(region_prefix(row.region_code)), row.effective_from))


async def row(session: AsyncSession, key: str, region_code: str, on: dt.date) -> RegistryParameter:
    found = _applicable(list(await repository.for_key(session, key)), region_code, on)
    if found is None:
        # Only a date before every value (say a meeting dated 2000) gets here: the rule was not in force.
        raise Unprocessable(
            f"No value of {key} is in force for {region_code} on {on}.",
            f"{on} 时该地区尚无参数 {key} 的规定。",
            code="parameter_not_in_force",
        )
    return found


async def value(session: AsyncSession, key: str, region_code: str, on: dt.date) -> Any:
    """The typed value of `key` for a region on a date: the narrowest region wins, then the latest date."""
    found = await row(session, key, region_code, on)
    return SCHEMAS[key].validate_python(found.value)


async def integer(session: AsyncSession, key: str, region_code: str, on: dt.date) -> int:
    result = await value(session, key, region_code, on)
    assert isinstance(result, int)
    return result


def parameter_out(found: RegistryParameter) -> ParameterOut:
    return ParameterOut.model_validate(found)


async def effective(session: AsyncSession, region_code: str, on: dt.date) -> list[ParameterOut]:
    rows = list(await repository.all_rows(session))
    result = []
    for key in sorted(SCHEMAS):
        found = _applicable([r for r in rows if r.key == key], region_code, on)
        if found is not None:
            result.append(parameter_out(found))
    return result


async def add(session: AsyncSession, body: ParameterIn, principal: Principal) -> ParameterOut:
    """A new value from a date for a region; earlier values stay, so past decisions can be re-read."""
    if not principal.covers(body.region_code) or (
        region_prefix(body.region_code) == "" and not principal.is_admin
    ):
        raise Forbidden("The region is outside your regions.", "该地区不在您的管辖范围内。")
    checked = _validated(body.key, body.value, ["body", "value"])
    created = RegistryParameter(
        key=body.key,
        region_code=body.region_code,
        effective_from=body.effective_from,
        value=SCHEMAS[body.key].dump_python(checked, mode="json", by_alias=True),
        source=body.source,
        recorded_by=principal.subject,
    )
    try:
        async with session.begin_nested():
            session.add(created)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "This parameter already has a value for that region and date; add one from a later date.",
            "该参数在此地区和生效日期已有取值,请以新的生效日期另行设置。",
            code="parameter_exists",
        ) from exc
    record_audit(
        session,
        AuditRecord,
        actor=principal,
        action="parameter.add",
        entity_type="parameter",
        entity_id=str(created.id),
        reason=body.source,
        detail={"key": body.key, "region_code": body.region_code, "effective_from": str(body.effective_from)},
    )
    return parameter_out(created)
