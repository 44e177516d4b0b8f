"""Eligibility bodies: the policy document format, household input, assessments, rankings, runs."""

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from services.kit.schemas import DivisionCode, RequestModel, ResponseModel

Category = Literal["general_poor", "dibao_poor", "wubao", "marginal", "not_poor"]
Degree = Literal["mild", "moderate", "severe"]
PolicyStatus = Literal["draft", "published", "retired"]
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]

CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    "general_poor": ("一般贫困户", "General poor household"),
    "dibao_poor": ("低保贫困户", "Poor household on (or due) the minimum allowance"),
    "wubao": ("特困供养(五保)户", "Extreme-support (wubao) household"),
    "marginal": ("边缘户", "Marginal household, just above the line"),
    "not_poor": ("非贫困", "Not poor"),
}
DEGREE_LABELS: dict[str, tuple[str, str]] = {
    "mild": ("轻度贫困", "Mild: able to work, lacks the means"),
    "moderate": ("中度贫困", "Moderate: partial labour capacity"),
    "severe": ("重度贫困", "Severe: no labour capacity"),
}
STATUS_LABELS = {"draft": "草稿", "published": "已发布", "retired": "已停用"}

ParameterValue = (
    StrictBool | StrictInt | StrictFloat | StrictStr | list[StrictStr] | list[StrictInt] | list[StrictFloat]
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ParameterDefinition(_Strict):
    """A policy parameter (政策参数) and its values by effective date, like OpenFisca's parameters."""

    label_zh: str = ""
    label_en: str = ""
    unit: str = ""
    source: str = Field(default="", description="where the figure comes from (seed document and clause)")
    values: Annotated[dict[dt.date, ParameterValue], Field(min_length=1)]


class RuleDefinition(_Strict):
    """One rule (识别规则): a yes/no expression over the household input, with its reasons."""

    id: Identifier
    expression: Annotated[str, Field(min_length=1, max_length=2000)]
    reason_true_zh: str
    reason_true_en: str
    reason_false_zh: str
    reason_false_en: str
    source: str = ""


class CategoryCase(_Strict):
    """Category when the condition holds; the first matching case wins; the last has no condition."""

    category: Category
    when: str | None = None


class DegreeCase(_Strict):
    """Poverty degree (贫困程度) for poor households; first match wins, the last has no condition."""

    degree: Degree
    when: str | None = None


class ProgramDefinition(_Strict):
    """A program flag (政策享受标识): whether the household qualifies and for how many people or units."""

    code: Identifier
    label_zh: str
    label_en: str
    when: str
    quantity: str | None = Field(default=None, description="whole-number expression, e.g. how many members")
    source: str = ""


class OutcomeDefinition(_Strict):
    """How rule results become the assessment: category, degree, extreme poverty, exit, programs."""

    categories: Annotated[list[CategoryCase], Field(min_length=1)]
    poor_categories: Annotated[list[Category], Field(min_length=1)]
    degrees: Annotated[list[DegreeCase], Field(min_length=1)]
    extreme_poverty: str = "False"
    exit_ready: str = "False"
    programs: list[ProgramDefinition] = []


class ScoreBand(_Strict):
    """Points for a value below `below` (低于: the bound is not in the band); the last band has none."""

    below: StrictInt | StrictFloat | None = None
    points: Annotated[int, Field(ge=0, le=100)]


class ScoreItem(_Strict):
    """One indicator of the score (排队打分): a value, mapped to 0–100 points, times its weight."""

    id: Identifier
    label_zh: str
    label_en: str
    weight: Annotated[str, Field(description="name of an integer parameter; the weights add up to 100")]
    value: Annotated[str, Field(min_length=1, max_length=2000)]
    bands: list[ScoreBand] | None = None
    points_by_value: dict[str, Annotated[int, Field(ge=0, le=100)]] | None = None
    default_points: Annotated[int, Field(ge=0, le=100)] = 0


class ScoreDefinition(_Strict):
    items: Annotated[list[ScoreItem], Field(min_length=1)]


class PolicyDocument(_Strict):
    """A policy version as data; a county override names the policy it `extends` and changes only parts.

    In an override, parameters replace the base's parameter of the same name, rules replace the
    base's rule of the same id (or are added after them), and `outcome` / `score` replace the
    base's whole section. The stored document of a published version is always the resolved one.
    """

    code: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
    policy_version: Annotated[int, Field(ge=1)] | None = None
    title_zh: Annotated[str, Field(min_length=1, max_length=200)]
    title_en: Annotated[str, Field(min_length=1, max_length=200)]
    region_code: Annotated[str, Field(pattern=r"^[0-9]{12}$")]
    effective_from: dt.date
    extends: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")] | None = None
    extends_version: int | None = None
    source: str = ""
    parameters: dict[Identifier, ParameterDefinition] = {}
    rules: list[RuleDefinition] = []
    outcome: OutcomeDefinition | None = None
    score: ScoreDefinition | None = None


class Problem(BaseModel):
    """One reason a policy document cannot be published."""

    location: str
    message: str


class ValidationReport(BaseModel):
    valid: bool
    problems: list[Problem]
    warnings: list[Problem] = []


class PolicyOut(ResponseModel):
    id: uuid.UUID
    code: str
    policy_version: int
    title_zh: str
    title_en: str
    region_code: str
    effective_from: dt.date
    status: str
    status_label: str
    version: int
    published_at: dt.datetime | None
    retired_at: dt.datetime | None


class PolicyDetail(PolicyOut):
    document: dict[str, Any]


class PolicyDraftIn(RequestModel):
    document: PolicyDocument
    reason: Annotated[str, Field(max_length=500)] = ""


class PolicyDraftUpdate(RequestModel):
    document: PolicyDocument
    version: Annotated[int, Field(ge=1, description="the draft's version as read (optimistic lock)")]
    reason: Annotated[str, Field(max_length=500)] = ""


class PolicyAction(RequestModel):
    version: Annotated[int, Field(ge=1, description="the policy's version as read (optimistic lock)")]
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    reassess: bool = Field(default=True, description="publish: reassess the households of its region")


MAX_FEN = 10_000_000_000
"""100 million yuan, as the registry's amounts: a household's total (times 100 members) stays in 64 bits."""
IncomeFen = Annotated[int, Field(ge=-MAX_FEN, le=MAX_FEN, description="fen (分), negative for a loss")]


class MemberInput(RequestModel):
    """A member as the rules see it (no name, no ID number)."""

    birth_date: dt.date
    sex: str
    relation: str = "other"
    labour_capacity: str
    labour_willing: bool = True
    health: str | None = None
    disability_grade: Annotated[int, Field(ge=0, le=4)] = 0
    schooling_stage: str | None = None
    dropped_out: bool = False
    medical_insured: bool = False


class HouseholdInputIn(RequestModel):
    """The documented household input (see GET /api/v1/policies/input-reference)."""

    per_capita_net_income_fen: IncomeFen
    per_capita_disposable_income_fen: IncomeFen | None = None
    member_count: Annotated[int, Field(ge=0, le=100)] | None = None
    transfer_income_fen: Annotated[int, Field(ge=0, le=MAX_FEN)] = 0
    housing_safety_grade: str | None = None
    housing_area_m2: Annotated[float, Field(ge=0, le=100000)] | None = None
    housing_self_build_capable: bool = False
    drinking_water_safe: bool = False
    food_clothing_secure: bool = False
    dibao: bool = False
    wubao: bool = False
    status: str | None = None
    exit_year: Annotated[int, Field(ge=0, le=2100)] = 0
    members: Annotated[list[MemberInput], Field(max_length=100)]


class PreviewIn(RequestModel):
    """Assess an input without storing anything, with a given policy version or the one that applies."""

    village_code: DivisionCode
    household: HouseholdInputIn
    as_of: dt.date | None = None
    policy_id: uuid.UUID | None = None


class RuleResult(BaseModel):
    id: str
    passed: bool
    reason_zh: str
    reason_en: str
    values: dict[str, Any] = {}


class ScoreItemResult(BaseModel):
    id: str
    label_zh: str
    label_en: str
    value: Any
    points: int
    weight: int
    contribution: float


class ProgramResult(BaseModel):
    code: str
    label_zh: str
    label_en: str
    eligible: bool
    quantity: int


class Explanation(BaseModel):
    """Everything an assessment says, derived from policy version, inputs and date alone."""

    policy_code: str
    policy_version: int
    as_of: dt.date
    inputs_hash: str
    category: str
    category_label: str
    category_label_en: str
    poor: bool
    degree: str | None
    degree_label: str | None
    extreme_poverty: bool
    exit_ready: bool
    programs: list[ProgramResult]
    score: float
    score_items: list[ScoreItemResult]
    rules: list[RuleResult]
    parameters: dict[str, Any]


class AssessmentOut(Explanation):
    id: uuid.UUID | None
    household_id: uuid.UUID | None
    household_version: int | None
    village_code: str
    policy_id: uuid.UUID
    assessed_at: dt.datetime | None
    run_id: uuid.UUID | None = None


class AssessmentSummary(ResponseModel):
    id: uuid.UUID
    household_version: int
    policy_code: str
    policy_version: int
    as_of: dt.date
    category: str
    category_label: str
    poor: bool
    score: float
    assessed_at: dt.datetime
    run_id: uuid.UUID | None


class RerunOut(BaseModel):
    """A stored assessment computed again from its stored inputs and policy version."""

    identical: bool
    stored_sha256: str
    rerun_sha256: str
    rerun: Explanation


class ReassessmentIn(RequestModel):
    region_code: DivisionCode
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    as_of: dt.date | None = None


class ReassessmentOut(ResponseModel):
    id: uuid.UUID
    region_code: str
    status: str
    status_label: str
    as_of: dt.date
    total: int
    processed: int
    changed: int
    reason: str
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    error: str | None


class SimulationIn(RequestModel):
    region_code: DivisionCode | None = Field(default=None, description="default: the draft's own region")
    as_of: dt.date | None = None
    sample_size: Annotated[int, Field(ge=0, le=200)] = 20


class SimulationCount(BaseModel):
    village_code: str
    category: str
    entering: int
    exiting: int
    changing: int
    households: int


class SimulationSample(BaseModel):
    household_id: uuid.UUID
    village_code: str
    current_category: str | None
    simulated_category: str
    change: Literal["enters", "exits", "changes"]


class SimulationOut(BaseModel):
    """What a draft would do to current households, compared with the policies that apply today."""

    policy_id: uuid.UUID
    region_code: str
    as_of: dt.date
    households: int
    entering: int
    exiting: int
    changing: int
    by_village_category: list[SimulationCount]
    sample: list[SimulationSample]
