"""Survey form definitions (调查表): fields, labels in Chinese and English, types, units, ranges, choices."""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from services.kit.schemas import RequestModel

FieldType = Literal[
    "text",
    "integer",
    "decimal",
    "money_fen",
    "date",
    "datetime",
    "boolean",
    "choice",
    "multi_choice",
    "id_number",
    "division_code",
    "gps",
    "attachment",
]
FormCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,63}$")]
FieldPath = Annotated[
    str,
    StringConstraints(
        pattern=r"^(answers\.[a-z][a-z0-9_]{0,47}|[a-z_]+(\[\])?(\.[a-z_0-9]+)*)$", max_length=120
    ),
]
Label = Annotated[str, Field(min_length=1, max_length=200)]
Bound = Decimal | dt.date | None
DerivedKey = Literal["per_capita_net_income_fen", "housing_area_per_person_m2"]


class Definition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Choice(Definition):
    """One allowed value of a choice field, with what the phone shows."""

    value: Annotated[str, Field(min_length=1, max_length=64)]
    label_zh: Label
    label_en: Label


class FormField(Definition):
    """A field of the form: where it sits in the survey body, its type and its limits.

    `min`/`max` refuse a value (422); `warn_min`/`warn_max` accept an implausible but possible value
    and send the survey to a reviewer. `answers.<key>` fields are ones a county added to the form.
    """

    path: FieldPath
    type: FieldType
    label_zh: Label
    label_en: Label
    unit: Annotated[str | None, Field(max_length=16)] = None
    required: bool = False
    min: Bound = None
    max: Bound = None
    warn_min: Bound = None
    warn_max: Bound = None
    max_length: Annotated[int | None, Field(ge=1, le=2000)] = None
    choices: Annotated[list[Choice] | None, Field(max_length=200)] = None

    @model_validator(mode="after")
    def _choices_for_choice_fields(self) -> "FormField":
        if (self.type in ("choice", "multi_choice")) != bool(self.choices):
            raise ValueError("choice and multi_choice fields, and only they, list their choices")
        return self


class DerivedCheck(Definition):
    """A plausibility range on a value computed from several fields (per-person income, area)."""

    key: DerivedKey
    label_zh: Label
    label_en: Label
    unit: Annotated[str | None, Field(max_length=16)] = None
    warn_min: Decimal | None = None
    warn_max: Decimal | None = None


class FormSection(Definition):
    key: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
    label_zh: Label
    label_en: Label
    fields: Annotated[list[FormField], Field(min_length=1, max_length=200)]


class FormDefinition(RequestModel):
    """A version of a survey form as the phone renders it and the server checks submissions against it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: FormCode
    version: Annotated[int, Field(ge=1, le=100_000)]
    title_zh: Label
    title_en: Label
    sections: Annotated[list[FormSection], Field(min_length=1, max_length=50)]
    derived: Annotated[list[DerivedCheck], Field(max_length=20)] = Field(default_factory=list)

    @model_validator(mode="after")
    def _paths_unique(self) -> "FormDefinition":
        paths = [field.path for section in self.sections for field in section.fields]
        if len(paths) != len(set(paths)):
            raise ValueError("each field path appears once in a form")
        return self

    def fields(self) -> list[FormField]:
        return [field for section in self.sections for field in section.fields]


class FormClose(RequestModel):
    """Close a version: submissions naming it are refused from now on."""

    reason: Annotated[str, Field(min_length=2, max_length=500)]


class FormVersionOut(BaseModel):
    """A form version without its fields (the list the phone checks for updates)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    version: int
    status: str
    status_label: str
    title_zh: str
    title_en: str
    published_at: dt.datetime
    closed_at: dt.datetime | None


class FormOut(FormVersionOut):
    definition: FormDefinition
