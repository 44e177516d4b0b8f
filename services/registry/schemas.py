"""Registry request and response bodies."""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, StringConstraints, model_validator

from services.kit.schemas import DivisionCode, RequestModel, ResponseModel
from services.registry.vocabulary import (
    CaseKind,
    Health,
    HelperRank,
    HouseholdCategory,
    LabourCapacity,
    MeasureKind,
    PoorVillageKind,
    PovertyCause,
    PovertyDegree,
    Relation,
    SafetyGrade,
    SchoolingStage,
    Sex,
    WorkLocation,
)

Fen = Annotated[int, Field(ge=0, le=100_000_000_00, description="amount in fen (分)")]
IdNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{17}[0-9Xx]$")]
PersonName = Annotated[str, Field(min_length=1, max_length=50)]


Reason = Annotated[str, Field(min_length=2, max_length=500, description="why the change is made / 变更原因")]
Skill = Annotated[str, Field(min_length=1, max_length=50)]
GroupName = Annotated[str, Field(min_length=1, max_length=50)]


class MemberDetails(RequestModel):
    """What the national form records of a member beyond identity; a field left out keeps its value."""

    labour_willing: bool | None = Field(None, description="劳动意愿")
    health: Health | None = Field(None, description="健康状况")
    disability_grade: Annotated[int | None, Field(ge=1, le=4, description="残疾等级 1–4")] = None
    schooling_stage: SchoolingStage | None = Field(None, description="在校生状况")
    dropout: bool | None = Field(None, description="辍学")
    medical_insurance: bool | None = Field(None, description="参加城乡居民基本医疗保险(新农合)")
    pension_insurance: bool | None = Field(None, description="参加城乡居民基本养老保险")
    skills: Annotated[list[Skill] | None, Field(max_length=20, description="技能")] = None
    work_location: WorkLocation | None = Field(None, description="务工状况")
    months_worked: Annotated[int | None, Field(ge=0, le=12, description="务工时间(月)")] = None
    public_welfare_job: bool | None = Field(None, description="公益性岗位")


class MemberIn(MemberDetails):
    """A member as surveyed (家庭成员)."""

    name: PersonName
    id_number: IdNumber = Field(description="18-digit resident ID (GB 11643) / 身份证号码")
    sex: Sex
    birth_date: dt.date
    relation: Relation = Field(description="relation to the head / 与户主关系")
    labour_capacity: LabourCapacity = Field(description="劳动能力")


class IncomeIn(RequestModel):
    """The household's income for the year, in fen (年收入)."""

    wages_fen: Fen = 0
    production_net_fen: Fen = 0
    property_fen: Fen = 0
    transfer_fen: Fen = 0
    production_cost_fen: Fen = 0


class HousingIn(RequestModel):
    """Housing (住房): structure, area, safety grade, drinking water."""

    structure: Annotated[str, Field(min_length=1, max_length=32)]
    area_m2: Annotated[Decimal, Field(ge=0, le=10_000, max_digits=8, decimal_places=2)]
    safety_grade: SafetyGrade
    drinking_water_safe: bool


class BankAccountIn(RequestModel):
    """The one-card account (一卡通) subsidies are paid to."""

    bank_name: Annotated[str, Field(min_length=1, max_length=100)]
    account_number: Annotated[str, StringConstraints(pattern=r"^[0-9]{10,30}$")]


class HouseholdProfileIn(RequestModel):
    """The household's file beyond the survey's figures; a field left out keeps its value."""

    group_name: Annotated[str | None, Field(min_length=1, max_length=50, description="村民小组")] = None
    poverty_degree: PovertyDegree | None = Field(None, description="贫困程度")
    main_cause: PovertyCause | None = Field(None, description="主要致贫原因")
    secondary_causes: Annotated[
        list[PovertyCause] | None, Field(max_length=10, description="其他致贫原因")
    ] = None
    dibao_allowance_fen: Fen | None = Field(None, description="低保金 (part of transfer income), fen")
    food_clothing_secure: bool | None = Field(None, description="不愁吃、不愁穿")
    education_secured: bool | None = Field(None, description="义务教育有保障")
    medical_secured: bool | None = Field(None, description="基本医疗有保障")
    housing_secured: bool | None = Field(None, description="住房安全有保障")
    relocated: bool | None = Field(None, description="易地扶贫搬迁")

    @model_validator(mode="after")
    def _causes_distinct(self) -> "HouseholdProfileIn":
        secondary = self.secondary_causes or []
        if len(set(secondary)) != len(secondary) or (
            self.main_cause is not None and self.main_cause in secondary
        ):
            raise ValueError("secondary causes must differ from each other and from the main cause")
        return self


class GpsIn(RequestModel):
    """Where the phone was when the survey was captured (WGS-84)."""

    latitude: Annotated[float, Field(ge=-90, le=90)]
    longitude: Annotated[float, Field(ge=-180, le=180)]
    accuracy_m: Annotated[float, Field(ge=0, le=100_000, description="horizontal accuracy, metres")]


AttachmentKind = Literal["house_photo", "signature", "document"]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
AnswerKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
AnswerValue = (
    Annotated[str, Field(max_length=2000)]
    | int
    | float
    | bool
    | list[Annotated[str, Field(max_length=200)]]
    | None
)


# A phone clock before 2000 is no evidence of when a survey was made; the bound also keeps the
# instant inside what UTC can hold (year 1 at +14:00 overflows when converted for the database).
CaptureTime = Annotated[AwareDatetime, Field(ge=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))]


class AttachmentRef(RequestModel):
    """A file the survey comes with (house photo, signature), named by its SHA-256; uploaded separately."""

    sha256: Sha256
    kind: AttachmentKind


class SurveySubmit(RequestModel):
    """A door-to-door survey (入户调查) of a new or an existing household."""

    submission_id: uuid.UUID = Field(description="generated by the phone; resending it is harmless")
    household_id: uuid.UUID | None = Field(None, description="absent for a new household")
    base_version: Annotated[int | None, Field(ge=1)] = Field(
        None, description="the household version the survey started from"
    )
    village_code: DivisionCode
    captured_at: CaptureTime
    device_id: Annotated[str, Field(min_length=1, max_length=128)]
    members: Annotated[list[MemberIn], Field(min_length=1, max_length=30)]
    income: IncomeIn
    housing: HousingIn
    bank_account: BankAccountIn | None = None
    profile: HouseholdProfileIn | None = Field(None, description="causes, 两不愁三保障 indicators, group…")
    form_code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,63}$")] = "household-survey"
    form_version: Annotated[int | None, Field(ge=1)] = Field(
        None, description="the form version the phone used; absent means the current one / 调查表版本"
    )
    app_version: Annotated[str | None, Field(min_length=1, max_length=32)] = None
    gps: GpsIn | None = None
    attachments: Annotated[list[AttachmentRef], Field(max_length=50)] = Field(default_factory=list)
    answers: Annotated[dict[AnswerKey, AnswerValue], Field(max_length=200)] = Field(
        default_factory=dict, description="fields a county added to the form, by key / 自定义采集项"
    )


class MemberOut(ResponseModel):
    id: uuid.UUID
    name: str
    id_number_masked: str
    sex: str
    birth_date: dt.date
    relation: str
    relation_label: str
    labour_capacity: str
    labour_capacity_label: str
    labour_willing: bool | None = None
    health: str | None = None
    health_label: str | None = None
    disability_grade: int | None = None
    schooling_stage: str | None = None
    schooling_stage_label: str | None = None
    dropout: bool = False
    medical_insurance: bool | None = None
    pension_insurance: bool | None = None
    skills: list[str] = Field(default_factory=list)
    work_location: str | None = None
    work_location_label: str | None = None
    months_worked: int | None = None
    public_welfare_job: bool = False
    id_number: str | None = Field(
        None, description="the full number, only when revealed to a role that needs it"
    )


class HouseholdOut(ResponseModel):
    id: uuid.UUID
    version: int
    village_code: str
    status: str
    status_label: str
    category: str
    category_label: str
    head_name: str
    member_count: int
    wages_fen: int
    production_net_fen: int
    property_fen: int
    transfer_fen: int
    production_cost_fen: int
    per_capita_net_income_fen: int
    housing_structure: str | None
    housing_area_m2: Decimal | None
    housing_safety_grade: str | None
    drinking_water_safe: bool | None
    bank_name: str | None
    bank_account_masked: str | None
    members: list[MemberOut]
    updated_at: dt.datetime
    group_name: str | None = None
    poverty_degree: str | None = None
    poverty_degree_label: str | None = None
    main_cause: str | None = None
    main_cause_label: str | None = None
    secondary_causes: list[str] = Field(default_factory=list)
    dibao_allowance_fen: int = 0
    food_clothing_secure: bool | None = None
    education_secured: bool | None = None
    medical_secured: bool | None = None
    housing_secured: bool | None = None
    relocated: bool = False
    registered_on: dt.date | None = None
    exit_year: int | None = None
    exited_on: dt.date | None = None
    grace_ends_on: dt.date | None = None


# The household file's history, corrections and lookups (issue 4).


class HouseholdRevise(HouseholdProfileIn):
    """A correction of a household's file (档案修改), based on the version the editor saw, with a reason."""

    base_version: Annotated[int, Field(ge=1, description="the household version this change is based on")]
    reason: Reason
    category: HouseholdCategory | None = Field(None, description="户类别")


class MemberRevise(MemberDetails):
    """A correction of one member (成员信息修改); ID number, sex and birth date change only by survey."""

    base_version: Annotated[int, Field(ge=1, description="the household version this change is based on")]
    reason: Reason
    name: PersonName | None = None
    relation: Relation | None = None
    labour_capacity: LabourCapacity | None = None


class FieldChange(BaseModel):
    """One field that differs between two versions; `path` is household.<field> or members.<id>[.<field>]."""

    path: str
    before: Any
    after: Any


class HouseholdVersionOut(ResponseModel):
    household_id: uuid.UUID
    version: int
    recorded_at: dt.datetime
    author: str
    author_name: str
    action: str
    reason: str
    changed: list[str]


class HouseholdSnapshotOut(HouseholdVersionOut):
    """The household's file as it was at one version (members keyed by member id)."""

    snapshot: dict[str, Any]


class HouseholdDiffOut(BaseModel):
    household_id: uuid.UUID
    from_version: int
    to_version: int
    changes: list[FieldChange]


class StatusChangeOut(ResponseModel):
    household_version: int
    from_status: str | None
    from_status_label: str | None
    to_status: str
    to_status_label: str
    changed_at: dt.datetime
    changed_by: str
    reason: str
    case_id: uuid.UUID | None


class IdNumberLookup(RequestModel):
    """Find a person by resident ID number (sent in the body, so it never lands in a URL log)."""

    id_number: IdNumber


class MemberLookupOut(BaseModel):
    member_id: uuid.UUID
    household_id: uuid.UUID
    village_code: str
    name: str
    id_number_masked: str
    relation: str
    relation_label: str
    household_status: str
    household_status_label: str


class ParameterIn(RequestModel):
    """A policy number for a region from a date (national: 000000000000)."""

    key: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,63}$")]
    region_code: DivisionCode
    effective_from: dt.date
    value: Any
    source: Annotated[
        str, Field(min_length=2, max_length=500, description="the document and article it comes from")
    ]


class ParameterOut(ResponseModel):
    id: uuid.UUID
    key: str
    region_code: str
    effective_from: dt.date
    value: Any
    source: str
    recorded_by: str
    recorded_at: dt.datetime


class DivisionIn(RequestModel):
    """One administrative division (行政区划); its parent and level follow from the 12-digit code."""

    code: DivisionCode
    name: Annotated[str, Field(min_length=1, max_length=100)]
    poor_village: PoorVillageKind | None = Field(None, description="贫困村 (villages only)")
    exited: bool = Field(False, description="贫困村已出列")
    exit_year: Annotated[int | None, Field(ge=2000, le=2100)] = None
    collective_income_fen: Fen | None = Field(None, description="村集体经济收入, fen a year")
    first_secretary: Annotated[str | None, Field(min_length=1, max_length=50, description="第一书记")] = None
    groups: Annotated[list[GroupName], Field(max_length=100, description="自然村/村民小组")] = Field(
        default_factory=list
    )


class DivisionsLoad(RequestModel):
    """A tree (or part of one) to load; a division already there is updated."""

    divisions: Annotated[list[DivisionIn], Field(min_length=1, max_length=5000)]


class DivisionsLoaded(BaseModel):
    created: int
    updated: int


class DivisionRevise(RequestModel):
    """A change of one division (for example a village's exit, 出列), based on the version seen."""

    base_version: Annotated[int, Field(ge=1)]
    reason: Reason
    name: Annotated[str | None, Field(min_length=1, max_length=100)] = None
    poor_village: PoorVillageKind | None = None
    exited: bool | None = None
    exit_year: Annotated[int | None, Field(ge=2000, le=2100)] = None
    collective_income_fen: Fen | None = None
    first_secretary: Annotated[str | None, Field(min_length=1, max_length=50)] = None
    groups: Annotated[list[GroupName] | None, Field(max_length=100)] = None


class DivisionOut(ResponseModel):
    code: str
    name: str
    level: str
    parent_code: str | None
    poor_village: str | None
    poor_village_label: str | None
    exited: bool
    exit_status_label: str
    exit_year: int | None
    collective_income_fen: int | None
    first_secretary: str | None
    groups: list[str]
    version: int


class DivisionTreeOut(DivisionOut):
    children: list[DivisionOut]


# Cases: identification, exit, relapse, revocation; deliberations; public notices and objections.


class CaseOpen(RequestModel):
    """Open a case for a household: its first step is done by the opener (申请、拟退出、入户核实、核查)."""

    kind: CaseKind
    household_id: uuid.UUID
    note: Annotated[str, Field(max_length=1000)] = ""
    reasons: Annotated[list[Annotated[str, Field(min_length=2, max_length=500)]], Field(max_length=20)] = (
        Field(default_factory=list, description="required for a revocation (清退理由)")
    )


class StepDone(RequestModel):
    """Do the case's next step; `step` and `case_version` say which step and version the actor saw."""

    step: Annotated[str, Field(min_length=1, max_length=32)]
    case_version: Annotated[int, Field(ge=1)]
    note: Annotated[str, Field(max_length=1000)] = ""
    document_no: Annotated[str | None, Field(min_length=1, max_length=100, description="批文文号")] = None


class CaseStepOut(ResponseModel):
    step: str
    step_label: str
    acted_at: dt.datetime
    actor: str
    actor_name: str
    actor_role: str
    actor_role_label: str
    note: str
    data: dict[str, Any]


class CaseOut(BaseModel):
    id: uuid.UUID
    kind: str
    kind_label: str
    household_id: uuid.UUID
    village_code: str
    status: str
    status_label: str
    step: str | None = Field(description="the next step to do, while the case is open")
    step_label: str | None
    step_roles: list[str] = Field(description="roles that may do the next step")
    notice_id: uuid.UUID | None
    opened_at: dt.datetime
    opened_by: str
    closed_at: dt.datetime | None
    outcome_reason: str | None
    version: int
    details: dict[str, Any]
    steps: list[CaseStepOut]


class CaseBrief(BaseModel):
    id: uuid.UUID
    kind: str
    kind_label: str
    household_id: uuid.UUID
    village_code: str
    status: str
    status_label: str
    step: str | None
    step_label: str | None
    opened_at: dt.datetime


class DeliberationRejection(RequestModel):
    case_id: uuid.UUID
    reason: Annotated[str, Field(min_length=2, max_length=500)]


class DeliberationIn(RequestModel):
    """A village deliberation meeting (村级评议): every case of the village waiting for it is reviewed."""

    village_code: DivisionCode
    meeting_date: dt.date
    attendance: Annotated[int, Field(ge=0, le=10_000, description="参加人数")]
    chair: Annotated[str, Field(min_length=1, max_length=50, description="主持人")]
    convened_by: Annotated[str, Field(min_length=1, max_length=50, description="召集人(分管副乡镇长)")]
    minutes: Annotated[str, Field(max_length=2000)] = ""
    rejected: Annotated[list[DeliberationRejection], Field(max_length=500)] = Field(
        default_factory=list, description="households the meeting did not approve, with the reason"
    )


class RankedCase(BaseModel):
    rank: int
    case_id: uuid.UUID
    household_id: uuid.UUID
    household_version: int
    score: float
    category: str
    assessment_id: uuid.UUID
    policy_code: str | None
    policy_version: int | None
    approved: bool
    reason: str | None


class DeliberationOut(ResponseModel):
    id: uuid.UUID
    village_code: str
    meeting_date: dt.date
    attendance: int
    chair: str
    convened_by: str
    minutes: str
    recorded_by: str
    recorded_at: dt.datetime
    ranking: list[RankedCase]


class NoticePost(RequestModel):
    """Post the notice of one step for a village: every case of that kind waiting at that step is listed."""

    village_code: DivisionCode
    case_kind: CaseKind
    step: Annotated[str, Field(min_length=1, max_length=32)]


class NoticeEntryOut(ResponseModel):
    position: int
    case_id: uuid.UUID
    household_id: uuid.UUID
    head_name_masked: str
    head_id_masked: str
    group_name: str | None
    member_count: int
    category: str
    category_label: str
    main_cause_label: str | None
    outcome: str
    outcome_label: str


class ObjectionIn(RequestModel):
    """An objection (异议) to a household on a notice, as received by staff."""

    household_id: uuid.UUID
    objector: Annotated[str, Field(max_length=50, description="异议人 (may stay anonymous)")] = ""
    content: Annotated[str, Field(min_length=2, max_length=2000)]


class ObjectionResolve(RequestModel):
    """Upheld: the household leaves the case; dismissed: it continues. The reason is kept either way."""

    outcome: Literal["upheld", "dismissed"]
    reason: Annotated[str, Field(min_length=2, max_length=2000)]


class ObjectionOut(ResponseModel):
    id: uuid.UUID
    notice_id: uuid.UUID
    case_id: uuid.UUID
    household_id: uuid.UUID
    lodged_at: dt.datetime
    recorded_by: str
    objector: str
    content: str
    status: str
    status_label: str
    resolution: str | None
    resolved_by: str | None
    resolved_at: dt.datetime | None


class NoticeOut(BaseModel):
    id: uuid.UUID
    village_code: str
    title: str
    case_kind: str
    case_kind_label: str
    step: str
    step_label: str
    level: str
    online: bool
    posted_at: dt.datetime
    posted_by: str
    period_days: int
    ends_at: dt.datetime
    status: str
    status_label: str
    closed_at: dt.datetime | None
    version: int
    entries: list[NoticeEntryOut]
    objections: list[ObjectionOut]


class NoticeClose(RequestModel):
    notice_version: Annotated[int, Field(ge=1)]


# Annual review, helpers and visits, help measures, records, data quality (issue 4).


class AnnualReviewIn(RequestModel):
    """An annual review (年度动态调整) of a county or township for a year: who should enter, who exit."""

    region_code: DivisionCode = Field(description="a county or a township")
    year: Annotated[int, Field(ge=2014, le=2100, description="the year the review is held (deadline in it)")]


class ReviewItemOut(BaseModel):
    household_id: uuid.UUID
    village_code: str
    head_name: str
    direction: str
    direction_label: str
    household_version: int
    per_capita_net_income_fen: int
    policy_code: str
    policy_version: int
    case_id: uuid.UUID | None


class AnnualReviewOut(BaseModel):
    id: uuid.UUID
    region_code: str
    year: int
    deadline: dt.date
    overdue: bool = Field(description="held (or opened) after the deadline / 超过规定期限")
    created_by: str
    created_at: dt.datetime
    opened_at: dt.datetime | None
    entries: list[ReviewItemOut]
    exits: list[ReviewItemOut]


class ReviewOpen(RequestModel):
    """Open the cases of the review in bulk (all of them, or the households listed)."""

    household_ids: Annotated[list[uuid.UUID] | None, Field(max_length=100_000)] = None


class SkippedItem(BaseModel):
    household_id: uuid.UUID
    reason: str
    reason_zh: str


class ReviewOpened(BaseModel):
    review: AnnualReviewOut
    opened: int
    skipped: list[SkippedItem]


Sha256Ref = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class HelperIn(RequestModel):
    """A helper cadre (帮扶责任人)."""

    name: PersonName
    rank: HelperRank
    unit: Annotated[str, Field(min_length=1, max_length=100, description="工作单位")]
    phone: Annotated[str | None, StringConstraints(pattern=r"^[0-9+\-]{5,20}$")] = None
    region_code: DivisionCode = Field(description="where the helper works (pairings stay within it)")
    user_subject: Annotated[
        str | None, Field(min_length=1, max_length=64, description="the helper's login")
    ] = None


class HelperOut(ResponseModel):
    id: uuid.UUID
    name: str
    rank: str
    rank_label: str
    unit: str
    phone: str | None
    region_code: str
    user_subject: str | None
    quota: int | None = Field(description="households this rank pairs with (the 321 rule); none: no cap")
    paired: int


class PairingIn(RequestModel):
    helper_id: uuid.UUID
    household_id: uuid.UUID
    started_on: dt.date


class PairingEnd(RequestModel):
    ended_on: dt.date
    reason: Reason


class PairingOut(ResponseModel):
    id: uuid.UUID
    helper_id: uuid.UUID
    household_id: uuid.UUID
    village_code: str
    started_on: dt.date
    ended_on: dt.date | None
    end_reason: str | None
    active: bool


class VisitIn(RequestModel):
    """A visit to a household (民情日记), logged from the phone."""

    household_id: uuid.UUID
    visited_on: dt.date
    latitude: Annotated[Decimal | None, Field(ge=-90, le=90, max_digits=9, decimal_places=6)] = None
    longitude: Annotated[Decimal | None, Field(ge=-180, le=180, max_digits=9, decimal_places=6)] = None
    notes: Annotated[str, Field(min_length=1, max_length=2000)]
    photos: Annotated[list[Sha256Ref], Field(max_length=20, description="SHA-256 of uploaded photos")] = (
        Field(default_factory=list)
    )


class VisitOut(ResponseModel):
    id: uuid.UUID
    household_id: uuid.UUID
    village_code: str
    helper_id: uuid.UUID | None
    visited_by: str
    visited_on: dt.date
    latitude: Decimal | None
    longitude: Decimal | None
    notes: str
    photos: list[str]
    recorded_at: dt.datetime


class UnderVisited(BaseModel):
    household_id: uuid.UUID
    village_code: str
    head_name: str
    helper_id: uuid.UUID | None
    helper_name: str | None
    visits: int
    required: int


class MeasureIn(RequestModel):
    """A help measure (帮扶措施) for a household."""

    kind: MeasureKind
    description: Annotated[str, Field(min_length=2, max_length=500)]
    started_on: dt.date
    ended_on: dt.date | None = None
    amount_fen: Fen | None = None
    partner: Annotated[str | None, Field(min_length=1, max_length=100, description="合作主体")] = None

    @model_validator(mode="after")
    def _ends_after_start(self) -> "MeasureIn":
        if self.ended_on is not None and self.ended_on < self.started_on:
            raise ValueError("a measure cannot end before it starts")
        return self


class MeasureEnd(RequestModel):
    ended_on: dt.date
    reason: Reason


class MeasureOut(ResponseModel):
    id: uuid.UUID
    household_id: uuid.UUID
    kind: str
    kind_label: str
    raises_income: bool
    description: str
    started_on: dt.date
    ended_on: dt.date | None
    amount_fen: int | None
    partner: str | None


class ShortOfMeasures(BaseModel):
    household_id: uuid.UUID
    village_code: str
    head_name: str
    status: str
    status_label: str
    income_measures: int
    required: int


class HelperBrief(BaseModel):
    id: uuid.UUID
    name: str
    rank_label: str
    unit: str
    phone: str | None


class HouseholdCard(BaseModel):
    """户有卡: a household's card, its file with its helper, measures, visits, cases and history."""

    household: HouseholdOut
    helper: HelperBrief | None
    measures: list[MeasureOut]
    recent_visits: list[VisitOut]
    cases: list[CaseBrief]
    status_history: list[StatusChangeOut]
    generated_at: dt.datetime


class RosterMember(BaseModel):
    name: str
    relation_label: str
    sex_label: str
    id_number_masked: str
    birth_date: dt.date
    labour_capacity_label: str
    health_label: str | None
    schooling_stage_label: str | None


class RosterRow(BaseModel):
    household_id: uuid.UUID
    village_code: str
    head_name: str
    head_id_masked: str
    group_name: str | None
    member_count: int
    category_label: str
    poverty_degree_label: str | None
    main_cause_label: str | None
    secondary_cause_labels: list[str]
    per_capita_net_income_fen: int
    status_label: str
    registered_on: dt.date | None
    exit_year: int | None
    helper_name: str | None
    income_measures: int
    members: list[RosterMember]


class VillageRoster(BaseModel):
    """村有册: the village's registered and exited households with their members."""

    village_code: str
    village_name: str | None
    poor_village_label: str | None
    generated_at: dt.datetime
    households: list[RosterRow]


class QualityRunIn(RequestModel):
    region_code: DivisionCode = Field(description="a village, township or county to check")


class RuleCount(BaseModel):
    rule: str
    label_zh: str
    findings: int


class QualityRunOut(ResponseModel):
    id: uuid.UUID
    region_code: str
    trigger: str
    status: str
    status_label: str
    requested_by: str
    requested_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    households_checked: int | None
    findings_count: int | None
    error: str | None


class QualityFindingOut(BaseModel):
    rule: str
    label_zh: str
    household_id: uuid.UUID
    head_name: str
    member_id: uuid.UUID | None
    member_name: str | None
    observed: str | None


class VillageQualityReport(BaseModel):
    """A village's data-quality report (数据质量报告) from one run."""

    run: QualityRunOut
    village_code: str
    households_with_findings: int
    by_rule: list[RuleCount]
    findings: list[QualityFindingOut]


class DuplicateFlagOut(ResponseModel):
    id: uuid.UUID
    county_code: str
    member_id: uuid.UUID
    household_id: uuid.UUID
    other_member_id: uuid.UUID
    other_household_id: uuid.UUID
    status: str
    raised_at: dt.datetime
    resolution: str | None


class DuplicateResolve(RequestModel):
    outcome: Literal["distinct", "same_person"]
    reason: Reason
