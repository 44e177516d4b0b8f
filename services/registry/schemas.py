"""Registry request and response bodies."""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, StringConstraints, model_validator

from services.kit.schemas import DivisionCode, RequestModel, ResponseModel
from services.registry.vocabulary import (
    Health,
    HouseholdCategory,
    LabourCapacity,
    PovertyCause,
    PovertyDegree,
    Relation,
    SafetyGrade,
    SchoolingStage,
    Sex,
    WorkLocation,
)

Fen = Annotated[int, Field(ge=0, le=100_000_000_00, description="amount in fen (分)")]
IdNumber = Annotated[str, StringConstraints(pattern=r"^\d{17}[\dXx]$")]
PersonName = Annotated[str, Field(min_length=1, max_length=50)]


Reason = Annotated[str, Field(min_length=2, max_length=500, description="why the change is made / 变更原因")]
Skill = Annotated[str, Field(min_length=1, max_length=50)]


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
    account_number: Annotated[str, StringConstraints(pattern=r"^\d{10,30}$")]


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
    captured_at: AwareDatetime
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
