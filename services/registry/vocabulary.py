"""Coded values of the registry with the Chinese labels county staff read (national 2014 form)."""

import enum


class LabelledEnum(enum.StrEnum):
    """A code stored in English with its Chinese label."""

    @property
    def label_zh(self) -> str:
        return LABELS_ZH[self]


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


LABELS_ZH: dict[enum.StrEnum, str] = {
    HouseholdStatus.APPLICANT: "申请中",
    HouseholdStatus.REGISTERED: "已建档立卡",
    HouseholdStatus.EXITED: "已脱贫",
    HouseholdStatus.REVOKED: "已清退",
    HouseholdStatus.NOT_POOR: "非贫困户",
    HouseholdCategory.GENERAL_POOR: "一般贫困户",
    HouseholdCategory.DIBAO_POOR: "低保贫困户",
    HouseholdCategory.WUBAO: "特困供养(五保)户",
    HouseholdCategory.DIBAO: "低保户",
    HouseholdCategory.MARGINAL: "边缘户",
    HouseholdCategory.NOT_POOR: "非贫困",
    Sex.MALE: "男",
    Sex.FEMALE: "女",
    Relation.HEAD: "户主",
    Relation.SPOUSE: "配偶",
    Relation.CHILD: "子女",
    Relation.PARENT: "父母",
    Relation.GRANDCHILD: "孙子女",
    Relation.SIBLING: "兄弟姐妹",
    Relation.OTHER: "其他",
    LabourCapacity.NORMAL: "普通劳动力",
    LabourCapacity.SKILLED: "技能劳动力",
    LabourCapacity.LOST: "丧失劳动力",
    LabourCapacity.NONE: "无劳动力",
    SafetyGrade.A: "A级(安全)",
    SafetyGrade.B: "B级(基本安全)",
    SafetyGrade.C: "C级(局部危房)",
    SafetyGrade.D: "D级(整栋危房)",
}
