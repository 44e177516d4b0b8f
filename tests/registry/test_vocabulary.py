"""Labels county staff read: every code has one, and a code shared by two lists keeps each list's label."""

from services.registry.vocabulary import (
    CaseStatus,
    HouseholdCategory,
    HouseholdStatus,
    LabelledEnum,
    LabourCapacity,
    NoticeStatus,
    SchoolingStage,
    WorkLocation,
)


def test_every_code_has_a_label_and_shared_codes_keep_their_own() -> None:
    for kind in LabelledEnum.__subclasses__():
        for member in kind:
            assert member.label_zh, member
    assert HouseholdStatus.NOT_POOR.label_zh == "非贫困户"
    assert HouseholdCategory.NOT_POOR.label_zh == "非贫困"
    assert [LabourCapacity.NONE.label_zh, SchoolingStage.NONE.label_zh, WorkLocation.NONE.label_zh] == [
        "无劳动力",
        "非在校生",
        "未务工",
    ]
    assert (CaseStatus.OPEN.label_zh, NoticeStatus.OPEN.label_zh) == ("办理中", "公示中")
