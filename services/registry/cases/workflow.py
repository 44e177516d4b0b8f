"""The procedures as data: each kind of case is a list of steps, each done by the roles its seed names.

Identification follows the eight steps of seed 002 篇2 (申请、入户调查、村级评议并一榜公示、回访核查、
乡镇审核并二榜公示、县级确认并网上三榜公示、信息录入、建档立卡). Exit follows 001 [K] 两公示一公告;
relapse and revocation follow 002 篇2 返贫核查 (入户核实公示后,经乡镇审核,县扶贫办确认) and 001 [K] 清退.
"""

import enum
from dataclasses import dataclass

from services.kit.auth import Role
from services.registry.vocabulary import CaseKind, HouseholdStatus


class Via(enum.StrEnum):
    """How a step is done: when the case opens, as its own action, by a deliberation, or by a notice."""

    OPEN = "open"
    ACTION = "action"
    DELIBERATION = "deliberation"
    NOTICE = "notice"


class NoticeLevel(enum.StrEnum):
    VILLAGE = "village"
    TOWNSHIP = "township"
    COUNTY = "county"


@dataclass(frozen=True)
class Step:
    code: str
    label_zh: str
    roles: tuple[Role, ...]
    via: Via = Via.ACTION
    notice_level: NoticeLevel | None = None
    notice_days_key: str | None = None
    online: bool = False


@dataclass(frozen=True)
class Workflow:
    kind: CaseKind
    steps: tuple[Step, ...]
    opens_from: frozenset[HouseholdStatus]
    completes_to: HouseholdStatus
    rejected_to: HouseholdStatus | None

    def step(self, code: str) -> Step | None:
        return next((step for step in self.steps if step.code == code), None)

    def after(self, code: str) -> Step | None:
        codes = [step.code for step in self.steps]
        index = codes.index(code) + 1
        return self.steps[index] if index < len(self.steps) else None


VILLAGE, CADRE = Role.VILLAGE_OFFICER, Role.CADRE
TOWNSHIP, COUNTY = Role.TOWNSHIP_REVIEWER, Role.COUNTY_APPROVER

IDENTIFICATION = Workflow(
    kind=CaseKind.IDENTIFICATION,
    steps=(
        # 1 农户向户籍所在地村委会提出申请: the village committee receives it, the cadre may file it.
        Step("application", "贫困户申请", (VILLAGE, CADRE), Via.OPEN),
        # 2 入户调查小组(包村干部、驻村帮扶干部…)入户察看、邻里访问、计算收入.
        Step("survey", "入户调查", (CADRE, VILLAGE)),
        # 3 村民代表大会,由分管副乡镇长召集,排队打分.
        Step("village_deliberation", "村级评议(排队打分)", (VILLAGE, TOWNSHIP), Via.DELIBERATION),
        Step(
            "first_notice",
            "一榜公示(村)",
            (VILLAGE,),
            Via.NOTICE,
            NoticeLevel.VILLAGE,
            "identification_village_notice_days",
        ),
        # 4 乡镇党政主要领导牵头……回访核查.
        Step("revisit", "回访核查", (TOWNSHIP,)),
        # 5 乡镇对村级上报名单集体研究同意.
        Step("township_review", "乡镇审核", (TOWNSHIP,)),
        Step(
            "second_notice",
            "二榜公示(乡镇)",
            (TOWNSHIP,),
            Via.NOTICE,
            NoticeLevel.TOWNSHIP,
            "identification_township_notice_days",
        ),
        # 6 县级扶贫部门审核确认后下达批文.
        Step("county_confirmation", "县级确认", (COUNTY,)),
        Step(
            "third_notice",
            "三榜公示(网上)",
            (COUNTY,),
            Via.NOTICE,
            NoticeLevel.COUNTY,
            "identification_county_notice_days",
            online=True,
        ),
        # 7 由乡镇组织,以村为单位录入.
        Step("data_entry", "信息录入", (TOWNSHIP, VILLAGE)),
        # 8 县扶贫办汇总:户有卡、村有册、乡有簿、县有档.
        Step("registration", "建档立卡", (COUNTY,)),
    ),
    opens_from=frozenset({HouseholdStatus.APPLICANT, HouseholdStatus.NOT_POOR, HouseholdStatus.REVOKED}),
    completes_to=HouseholdStatus.REGISTERED,
    rejected_to=HouseholdStatus.NOT_POOR,
)

EXIT = Workflow(
    kind=CaseKind.EXIT,
    steps=(
        Step("proposal", "拟退出(收入稳定超过标准、两不愁三保障)", (VILLAGE, CADRE), Via.OPEN),
        Step(
            "village_notice",
            "村级公示",
            (VILLAGE,),
            Via.NOTICE,
            NoticeLevel.VILLAGE,
            "exit_village_notice_days",
        ),
        Step("township_review", "乡镇审核", (TOWNSHIP,)),
        Step(
            "township_notice",
            "乡镇公示",
            (TOWNSHIP,),
            Via.NOTICE,
            NoticeLevel.TOWNSHIP,
            "exit_township_notice_days",
        ),
        Step("county_confirmation", "县级确认", (COUNTY,)),
        Step(
            "announcement",
            "县级公告(销号)",
            (COUNTY,),
            Via.NOTICE,
            NoticeLevel.COUNTY,
            "exit_announcement_days",
            online=True,
        ),
    ),
    opens_from=frozenset({HouseholdStatus.REGISTERED}),
    completes_to=HouseholdStatus.EXITED,
    rejected_to=None,
)

RELAPSE = Workflow(
    kind=CaseKind.RELAPSE,
    steps=(
        Step("visit", "入户核实", (CADRE, VILLAGE), Via.OPEN),
        Step("village_notice", "公示", (VILLAGE,), Via.NOTICE, NoticeLevel.VILLAGE, "relapse_notice_days"),
        Step("township_review", "乡镇审核", (TOWNSHIP,)),
        Step("county_confirmation", "县扶贫办确认", (COUNTY,)),
    ),
    opens_from=frozenset({HouseholdStatus.EXITED}),
    completes_to=HouseholdStatus.REGISTERED,
    rejected_to=None,
)

REVOCATION = Workflow(
    kind=CaseKind.REVOCATION,
    steps=(
        Step("recheck", "核查(回头看)", (CADRE, VILLAGE, TOWNSHIP), Via.OPEN),
        Step("village_notice", "公示", (VILLAGE,), Via.NOTICE, NoticeLevel.VILLAGE, "revocation_notice_days"),
        Step("township_review", "乡镇审核", (TOWNSHIP,)),
        Step("county_confirmation", "县级确认", (COUNTY,)),
    ),
    opens_from=frozenset({HouseholdStatus.REGISTERED, HouseholdStatus.EXITED}),
    completes_to=HouseholdStatus.REVOKED,
    rejected_to=None,
)

WORKFLOWS = {workflow.kind: workflow for workflow in (IDENTIFICATION, EXIT, RELAPSE, REVOCATION)}
