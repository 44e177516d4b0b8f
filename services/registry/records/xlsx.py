"""The card and the roster as Excel workbooks (openpyxl, write-only so a large roster stays fast)."""

import io
from typing import Any

from openpyxl import Workbook

from services.registry.clock import Clock
from services.registry.schemas import HouseholdCard, VillageRoster

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _yuan(fen: int | None) -> float | None:
    return None if fen is None else fen / 100


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def card_workbook(card: HouseholdCard, clock: Clock) -> bytes:
    household = card.household
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("户卡")
    rows: list[list[Any]] = [
        ["贫困户信息卡"],
        ["户主", household.head_name, "户编号", str(household.id)],
        ["所在村", household.village_code, "村民小组", household.group_name],
        ["户类别", household.category_label, "状态", household.status_label],
        ["贫困程度", household.poverty_degree_label, "主要致贫原因", household.main_cause_label],
        ["家庭人口", household.member_count, "人均纯收入(元)", _yuan(household.per_capita_net_income_fen)],
        [
            "工资性收入(元)",
            _yuan(household.wages_fen),
            "生产经营性收入(元)",
            _yuan(household.production_net_fen),
        ],
        ["财产性收入(元)", _yuan(household.property_fen), "转移性收入(元)", _yuan(household.transfer_fen)],
        [
            "生产经营支出(元)",
            _yuan(household.production_cost_fen),
            "低保金(元)",
            _yuan(household.dibao_allowance_fen),
        ],
        [
            "住房结构",
            household.housing_structure,
            "住房面积(㎡)",
            household.housing_area_m2 and float(household.housing_area_m2),
        ],
        ["住房安全等级", household.housing_safety_grade, "饮水安全", household.drinking_water_safe],
        ["不愁吃穿", household.food_clothing_secure, "义务教育有保障", household.education_secured],
        ["基本医疗有保障", household.medical_secured, "住房安全有保障", household.housing_secured],
        ["开户银行", household.bank_name, "一卡通账号", household.bank_account_masked],
        ["建档立卡日期", household.registered_on, "脱贫年度", household.exit_year],
        [
            "帮扶责任人",
            card.helper.name if card.helper else None,
            "单位",
            card.helper.unit if card.helper else None,
        ],
        [],
        ["家庭成员", "与户主关系", "性别", "身份证号码", "出生日期", "劳动能力", "健康状况", "在校生状况"],
    ]
    rows.extend(
        [
            m.name,
            m.relation_label,
            "男" if m.sex == "male" else "女",
            m.id_number_masked,
            m.birth_date,
            m.labour_capacity_label,
            m.health_label,
            m.schooling_stage_label,
        ]
        for m in household.members
    )
    rows.append([])
    rows.append(["帮扶措施", "类别", "是否增收措施", "开始日期", "结束日期", "金额(元)", "合作主体"])
    rows.extend(
        [
            m.description,
            m.kind_label,
            "是" if m.raises_income else "否",
            m.started_on,
            m.ended_on,
            _yuan(m.amount_fen),
            m.partner,
        ]
        for m in card.measures
    )
    rows.append([])
    rows.append(["制表时间", clock.local(card.generated_at).strftime("%Y-%m-%d %H:%M")])
    for row in rows:
        sheet.append(row)
    return _save(workbook)


def roster_workbook(roster: VillageRoster, clock: Clock) -> bytes:
    workbook = Workbook(write_only=True)
    households = workbook.create_sheet("村册")
    households.append(
        [f"{roster.village_name or roster.village_code} 贫困户花名册", roster.poor_village_label]
    )
    households.append(
        [
            "序号",
            "户主",
            "身份证号码",
            "村民小组",
            "家庭人口",
            "户类别",
            "贫困程度",
            "主要致贫原因",
            "人均纯收入(元)",
            "状态",
            "建档立卡日期",
            "脱贫年度",
            "帮扶责任人",
            "增收措施数",
        ]
    )
    for position, row in enumerate(roster.households, start=1):
        households.append(
            [
                position,
                row.head_name,
                row.head_id_masked,
                row.group_name,
                row.member_count,
                row.category_label,
                row.poverty_degree_label,
                row.main_cause_label,
                _yuan(row.per_capita_net_income_fen),
                row.status_label,
                row.registered_on,
                row.exit_year,
                row.helper_name,
                row.income_measures,
            ]
        )
    members = workbook.create_sheet("成员")
    members.append(
        ["户主", "姓名", "与户主关系", "性别", "身份证号码", "出生日期", "劳动能力", "健康状况", "在校生状况"]
    )
    for row in roster.households:
        for m in row.members:
            members.append(
                [
                    row.head_name,
                    m.name,
                    m.relation_label,
                    m.sex_label,
                    m.id_number_masked,
                    m.birth_date,
                    m.labour_capacity_label,
                    m.health_label,
                    m.schooling_stage_label,
                ]
            )
    households.append([])
    households.append(["制表时间", clock.local(roster.generated_at).strftime("%Y-%m-%d %H:%M")])
    return _save(workbook)
