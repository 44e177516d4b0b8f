"""Coded values of the registry with the Chinese labels county staff read (national 2014 form)."""

import enum


class LabelledEnum(enum.StrEnum):
    """A code stored in English with its Chinese label."""

    @property
    def label_zh(self) -> str:
        return LABELS_ZH[(type(self), self.value)]


class HouseholdStatus(LabelledEnum):
    APPLICANT = "applicant"
    REGISTERED = "registered"
    EXITED = "exited"
    REVOKED = "revoked"
    NOT_POOR = "not_poor"


class HouseholdCategory(LabelledEnum):
    GENERAL_POOR = "general_poor"
    DIBAO_POOR = "dibao_poor"
    WUBAO = "wubao"
    DIBAO = "dibao"
    MARGINAL = "marginal"
    NOT_POOR = "not_poor"


class Sex(LabelledEnum):
    MALE = "male"
    FEMALE = "female"


class Relation(LabelledEnum):
    HEAD = "head"
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    GRANDCHILD = "grandchild"
    SIBLING = "sibling"
    OTHER = "other"


class LabourCapacity(LabelledEnum):
    NORMAL = "normal"
    SKILLED = "skilled"
    LOST = "lost"
    NONE = "none"


class SafetyGrade(LabelledEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"


def _labels(pairs: list[tuple["LabelledEnum", str]]) -> dict[tuple[type, str], str]:
    """Labels keyed by class and code: several lists share a code ("none", "open") but not a label."""
    return {(type(member), member.value): label for member, label in pairs}


LABELS_ZH: dict[tuple[type, str], str] = _labels(
    [
        (HouseholdStatus.APPLICANT, "申请中"),
        (HouseholdStatus.REGISTERED, "已建档立卡"),
        (HouseholdStatus.EXITED, "已脱贫"),
        (HouseholdStatus.REVOKED, "已清退"),
        (HouseholdStatus.NOT_POOR, "非贫困户"),
        (HouseholdCategory.GENERAL_POOR, "一般贫困户"),
        (HouseholdCategory.DIBAO_POOR, "低保贫困户"),
        (HouseholdCategory.WUBAO, "特困供养(五保)户"),
        (HouseholdCategory.DIBAO, "低保户"),
        (HouseholdCategory.MARGINAL, "边缘户"),
        (HouseholdCategory.NOT_POOR, "非贫困"),
        (Sex.MALE, "男"),
        (Sex.FEMALE, "女"),
        (Relation.HEAD, "户主"),
        (Relation.SPOUSE, "配偶"),
        (Relation.CHILD, "子女"),
        (Relation.PARENT, "父母"),
        (Relation.GRANDCHILD, "孙子女"),
        (Relation.SIBLING, "兄弟姐妹"),
        (Relation.OTHER, "其他"),
        (LabourCapacity.NORMAL, "普通劳动力"),
        (LabourCapacity.SKILLED, "技能劳动力"),
        (LabourCapacity.LOST, "丧失劳动力"),
        (LabourCapacity.NONE, "无劳动力"),
        (SafetyGrade.A, "A级(安全)"),
        (SafetyGrade.B, "B级(基本安全)"),
        (SafetyGrade.C, "C级(局部危房)"),
        (SafetyGrade.D, "D级(整栋危房)"),
    ]
)


# Household file, identification and help (建档立卡). Labels follow the 2014 national form (domain.md §7).


class PovertyDegree(LabelledEnum):
    """Poverty degree (贫困程度) by labour capacity (001 [A][B])."""

    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


class PovertyCause(LabelledEnum):
    """The national list of 11 poverty causes (致贫原因), plus the "mental" causes of 001 [M]."""

    ILLNESS = "illness"
    DISABILITY = "disability"
    SCHOOLING = "schooling"
    DISASTER = "disaster"
    LACK_OF_LAND = "lack_of_land"
    LACK_OF_WATER = "lack_of_water"
    LACK_OF_SKILLS = "lack_of_skills"
    LACK_OF_LABOUR = "lack_of_labour"
    LACK_OF_CAPITAL = "lack_of_capital"
    POOR_TRANSPORT = "poor_transport"
    LACK_OF_DRIVE = "lack_of_drive"
    SUDDEN_EVENT = "sudden_event"
    GAMBLING = "gambling"
    MARRIAGE_COSTS = "marriage_costs"
    NOT_SUPPORTED_BY_CHILDREN = "not_supported_by_children"


class Health(LabelledEnum):
    """Health (健康状况)."""

    HEALTHY = "healthy"
    CHRONIC = "chronic"
    SERIOUS = "serious"
    DISABLED = "disabled"


class SchoolingStage(LabelledEnum):
    """Student status (在校生状况); NONE means not in school."""

    NONE = "none"
    PRESCHOOL = "preschool"
    PRIMARY = "primary"
    JUNIOR = "junior"
    SENIOR = "senior"
    SECONDARY_VOCATIONAL = "secondary_vocational"
    HIGHER_VOCATIONAL = "higher_vocational"
    UNDERGRADUATE = "undergraduate"


class WorkLocation(LabelledEnum):
    """Where a member works (务工状况)."""

    NONE = "none"
    IN_TOWNSHIP = "in_township"
    IN_COUNTY = "in_county"
    IN_PROVINCE = "in_province"
    OUT_OF_PROVINCE = "out_of_province"


class PoorVillageKind(LabelledEnum):
    """Poor-village flag of a village (贫困村)."""

    PROVINCIAL = "provincial"
    COUNTY = "county"
    EXTREME = "extreme"


class CaseKind(LabelledEnum):
    """The procedures a household goes through (识别、退出、返贫、清退)."""

    IDENTIFICATION = "identification"
    EXIT = "exit"
    RELAPSE = "relapse"
    REVOCATION = "revocation"


class CaseStatus(LabelledEnum):
    OPEN = "open"
    COMPLETED = "completed"
    REJECTED = "rejected"


class NoticeStatus(LabelledEnum):
    OPEN = "open"
    CLOSED = "closed"


class ObjectionStatus(LabelledEnum):
    OPEN = "open"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


class HelperRank(LabelledEnum):
    """Rank of a helper cadre, which fixes the pairing quota (the 321 rule, 001 [A])."""

    COUNTY_LEADER = "county_leader"
    SECTION_LEVEL = "section_level"
    STAFF = "staff"
    TOWNSHIP_STAFF = "township_staff"


class MeasureKind(LabelledEnum):
    """Help measures (帮扶措施): the ten income measures of 004 A, then the other kinds."""

    SPECIALTY_CROPS = "specialty_crops"
    LIVESTOCK = "livestock"
    HOUSEHOLD_PROJECT = "household_project"
    ENTERPRISE_DRIVEN = "enterprise_driven"
    ASSET_INCOME = "asset_income"
    WORKSHOP = "workshop"
    SOLAR = "solar"
    TRANSFER_EMPLOYMENT = "transfer_employment"
    RURAL_TOURISM = "rural_tourism"
    ECOMMERCE = "ecommerce"
    PUBLIC_WELFARE_JOB = "public_welfare_job"
    EDUCATION_AID = "education_aid"
    MEDICAL_AID = "medical_aid"
    HOUSING_RENOVATION = "housing_renovation"
    SOCIAL_SECURITY = "social_security"
    SKILLS_TRAINING = "skills_training"

    @property
    def raises_income(self) -> bool:
        return self in INCOME_MEASURES


INCOME_MEASURES = frozenset(
    {
        MeasureKind.SPECIALTY_CROPS,
        MeasureKind.LIVESTOCK,
        MeasureKind.HOUSEHOLD_PROJECT,
        MeasureKind.ENTERPRISE_DRIVEN,
        MeasureKind.ASSET_INCOME,
        MeasureKind.WORKSHOP,
        MeasureKind.SOLAR,
        MeasureKind.TRANSFER_EMPLOYMENT,
        MeasureKind.RURAL_TOURISM,
        MeasureKind.ECOMMERCE,
        MeasureKind.PUBLIC_WELFARE_JOB,
    }
)

LABELS_ZH.update(
    _labels(
        [
            (PovertyDegree.MILD, "轻度贫困"),
            (PovertyDegree.MODERATE, "中度贫困"),
            (PovertyDegree.SEVERE, "重度贫困"),
            (PovertyCause.ILLNESS, "因病"),
            (PovertyCause.DISABILITY, "因残"),
            (PovertyCause.SCHOOLING, "因学"),
            (PovertyCause.DISASTER, "因灾"),
            (PovertyCause.LACK_OF_LAND, "缺土地"),
            (PovertyCause.LACK_OF_WATER, "缺水"),
            (PovertyCause.LACK_OF_SKILLS, "缺技术"),
            (PovertyCause.LACK_OF_LABOUR, "缺劳力"),
            (PovertyCause.LACK_OF_CAPITAL, "缺资金"),
            (PovertyCause.POOR_TRANSPORT, "交通条件落后"),
            (PovertyCause.LACK_OF_DRIVE, "自身发展动力不足"),
            (PovertyCause.SUDDEN_EVENT, "突发事件"),
            (PovertyCause.GAMBLING, "赌博"),
            (PovertyCause.MARRIAGE_COSTS, "婚丧嫁娶"),
            (PovertyCause.NOT_SUPPORTED_BY_CHILDREN, "子女不赡养"),
            (Health.HEALTHY, "健康"),
            (Health.CHRONIC, "长期慢性病"),
            (Health.SERIOUS, "患有大病"),
            (Health.DISABLED, "残疾"),
            (SchoolingStage.NONE, "非在校生"),
            (SchoolingStage.PRESCHOOL, "学前教育"),
            (SchoolingStage.PRIMARY, "小学"),
            (SchoolingStage.JUNIOR, "初中"),
            (SchoolingStage.SENIOR, "高中"),
            (SchoolingStage.SECONDARY_VOCATIONAL, "中职"),
            (SchoolingStage.HIGHER_VOCATIONAL, "高职/大专"),
            (SchoolingStage.UNDERGRADUATE, "本科及以上"),
            (WorkLocation.NONE, "未务工"),
            (WorkLocation.IN_TOWNSHIP, "乡镇内"),
            (WorkLocation.IN_COUNTY, "乡镇外县内"),
            (WorkLocation.IN_PROVINCE, "县外省内"),
            (WorkLocation.OUT_OF_PROVINCE, "省外"),
            (PoorVillageKind.PROVINCIAL, "省定贫困村"),
            (PoorVillageKind.COUNTY, "县定贫困村"),
            (PoorVillageKind.EXTREME, "特困村"),
            (CaseKind.IDENTIFICATION, "贫困户识别"),
            (CaseKind.EXIT, "脱贫退出"),
            (CaseKind.RELAPSE, "返贫认定"),
            (CaseKind.REVOCATION, "清退"),
            (CaseStatus.OPEN, "办理中"),
            (CaseStatus.COMPLETED, "已办结"),
            (CaseStatus.REJECTED, "未通过"),
            (NoticeStatus.OPEN, "公示中"),
            (NoticeStatus.CLOSED, "已结束"),
            (ObjectionStatus.OPEN, "待处理"),
            (ObjectionStatus.UPHELD, "异议成立"),
            (ObjectionStatus.DISMISSED, "异议不成立"),
            (HelperRank.COUNTY_LEADER, "县处级领导干部"),
            (HelperRank.SECTION_LEVEL, "科级干部"),
            (HelperRank.STAFF, "一般干部(职工)"),
            (HelperRank.TOWNSHIP_STAFF, "乡镇干部(包干托底)"),
            (MeasureKind.SPECIALTY_CROPS, "特色种植"),
            (MeasureKind.LIVESTOCK, "畜牧养殖"),
            (MeasureKind.HOUSEHOLD_PROJECT, "到户增收项目"),
            (MeasureKind.ENTERPRISE_DRIVEN, "经营主体带动"),
            (MeasureKind.ASSET_INCOME, "资产收益"),
            (MeasureKind.WORKSHOP, "扶贫车间"),
            (MeasureKind.SOLAR, "光伏扶贫"),
            (MeasureKind.TRANSFER_EMPLOYMENT, "转移就业"),
            (MeasureKind.RURAL_TOURISM, "乡村旅游"),
            (MeasureKind.ECOMMERCE, "电商扶贫"),
            (MeasureKind.PUBLIC_WELFARE_JOB, "公益性岗位"),
            (MeasureKind.EDUCATION_AID, "教育资助"),
            (MeasureKind.MEDICAL_AID, "健康扶贫"),
            (MeasureKind.HOUSING_RENOVATION, "危房改造"),
            (MeasureKind.SOCIAL_SECURITY, "社会保障兜底"),
            (MeasureKind.SKILLS_TRAINING, "技能培训"),
        ]
    )
)


def label_of(kind: type[LabelledEnum], code: str | None) -> str | None:
    """The Chinese label of a stored code (None for no code), without building the enum member."""
    return None if code is None else LABELS_ZH[(kind, code)]
