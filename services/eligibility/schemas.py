"""Eligibility bodies: the policy document format, assessments as returned."""

import datetime as dt
import uuid
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from services.kit.schemas import ResponseModel


class RuleDefinition(BaseModel):
    """One rule: an expression over the household input, with its reasons in Chinese and English."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
    expression: Annotated[str, Field(min_length=1, max_length=2000)]
    reason_true_zh: str
    reason_true_en: str
    reason_false_zh: str
    reason_false_en: str


class OutcomeDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    poor_when: str
    category_if_poor: str
    category_if_not_poor: str


class PolicyDocument(BaseModel):
    """A policy version as data (the YAML files under policies/shipped follow this shape)."""

    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
    policy_version: Annotated[int, Field(ge=1)]
    title_zh: str
    title_en: str
    region_code: Annotated[str, Field(pattern=r"^\d{12}$")]
    effective_from: dt.date
    parameters: dict[str, Any]
    rules: Annotated[list[RuleDefinition], Field(min_length=1)]
    outcome: OutcomeDefinition


class RuleResult(BaseModel):
    id: str
    passed: bool
    reason_zh: str
    reason_en: str


class AssessmentOut(ResponseModel):
    id: uuid.UUID
    household_id: uuid.UUID
    household_version: int
    policy_code: str
    policy_version: int
    category: str
    category_label: str
    poor: bool
    inputs_hash: str
    rules: list[RuleResult]
    assessed_at: dt.datetime


class PolicyOut(ResponseModel):
    id: uuid.UUID
    code: str
    policy_version: int
    title_zh: str
    title_en: str
    region_code: str
    effective_from: dt.date
    status: str
