"""Card, roster, book and archive as Excel workbooks (openpyxl write-only: rows go to disk as written)."""

import asyncio
import datetime as dt
import io
import os
import tempfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from services.registry.clock import Clock
from services.registry.records.repository import ROSTER_STATUSES
from services.registry.records.service import CountyArchive, DivisionSummary, TownshipBook
from services.registry.schemas import HouseholdCard, RosterRow, VillageRoster
from services.registry.vocabulary import LABELS_ZH, HouseholdStatus

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def yuan(fen: int | None) -> float | None:
    return None if fen is None else fen / 100


def save(workbook: Workbook) -> bytes:
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
        ["家庭人口", household.member_count, "人均纯收入(元)", yuan(household.per_capita_net_income_fen)],
        [
            "工资性收入(元)",
            yuan(household.wages_fen),
            "生产经营性收入(元)",
            yuan(household.production_net_fen),
        ],
        ["财产性收入(元)", yuan(household.property_fen), "转移性收入(元)", yuan(household.transfer_fen)],
        [
            "生产经营支出(元)",
            yuan(household.production_cost_fen),
            "低保金(元)",
            yuan(household.dibao_allowance_fen),
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
            yuan(m.amount_fen),
            m.partner,
        ]
        for m in card.measures
    )
    rows.append([])
    rows.append(["制表时间", clock.local(card.generated_at).strftime("%Y-%m-%d %H:%M")])
    for row in rows:
        sheet.append(row)
    return save(workbook)


HOUSEHOLD_HEADER = [
    "户主",
    "身份证号码",
    "村民小组",
    "家庭人口",
    "户类别",
    "贫困程度",
    "主要致贫原因",
    "其他致贫原因",
    "人均纯收入(元)",
    "状态",
    "建档立卡日期",
    "脱贫年度",
    "帮扶责任人",
    "增收措施数",
]


def household_cells(row: RosterRow) -> list[Any]:
    """A household's cells under HOUSEHOLD_HEADER, the same in the roster, the book and the archive."""
    return [
        row.head_name,
        row.head_id_masked,
        row.group_name,
        row.member_count,
        row.category_label,
        row.poverty_degree_label,
        row.main_cause_label,
        "、".join(row.secondary_cause_labels),
        yuan(row.per_capita_net_income_fen),
        row.status_label,
        row.registered_on,
        row.exit_year,
        row.helper_name,
        row.income_measures,
    ]


def _made_at(clock: Clock, instant: dt.datetime) -> list[Any]:
    return ["制表时间", clock.local(instant).strftime("%Y-%m-%d %H:%M")]


def roster_workbook(roster: VillageRoster, clock: Clock) -> bytes:
    workbook = Workbook(write_only=True)
    households = workbook.create_sheet("村册")
    households.append(
        [f"{roster.village_name or roster.village_code} 贫困户花名册", roster.poor_village_label]
    )
    households.append(["序号", *HOUSEHOLD_HEADER])
    for position, row in enumerate(roster.households, start=1):
        households.append([position, *household_cells(row)])
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
    households.append(_made_at(clock, roster.generated_at))
    return save(workbook)


SUMMARY_HEADER = [
    "户数",
    "人数",
    *(LABELS_ZH[HouseholdStatus, status] + "户数" for status in ROSTER_STATUSES),
]


def summary_cells(summary: DivisionSummary) -> list[Any]:
    """A village's or township's totals under SUMMARY_HEADER."""
    return [
        summary.households,
        summary.members,
        *(summary.by_status.get(status, 0) for status in ROSTER_STATUSES),
    ]


def _labelled(summary: DivisionSummary) -> list[Any]:
    """Totals as label, value pairs for a 小计 or 合计 row under a household list."""
    return [cell for pair in zip(SUMMARY_HEADER, summary_cells(summary), strict=True) for cell in pair]


def _villages_sheet(workbook: Workbook, villages: list[DivisionSummary]) -> None:
    sheet = workbook.create_sheet("村汇总")
    sheet.append(["乡镇代码", "村代码", "村名", "贫困村类别", *SUMMARY_HEADER])
    for village in villages:
        sheet.append(
            [
                village.code[:9].ljust(12, "0"),
                village.code,
                village.name,
                village.poor_village_label,
                *summary_cells(village),
            ]
        )


def book_workbook(book: TownshipBook, clock: Clock) -> bytes:
    """乡有簿: one block per village (its households, then a 小计 row), a 合计 row, and a summary sheet."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("乡簿")
    sheet.append([f"{book.name or book.code} 贫困户登记簿"])
    total = DivisionSummary(code=book.code, name=book.name)
    for village in book.villages:
        sheet.append([])
        sheet.append([f"{village.name or village.code}({village.code})", village.poor_village_label])
        sheet.append(["序号", *HOUSEHOLD_HEADER])
        for position, row in enumerate(book.households.get(village.code, []), start=1):
            sheet.append([position, *household_cells(row)])
        sheet.append(["小计", *_labelled(village)])
        total.add_village(village)
    sheet.append([])
    sheet.append(["合计", *_labelled(total)])
    sheet.append(_made_at(clock, book.generated_at))
    _villages_sheet(workbook, book.villages)
    return save(workbook)


def _saved_to_temporary_file(workbook: Workbook) -> Path:
    handle, name = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    path = Path(name)
    try:
        workbook.save(path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


async def archive_file(archive: CountyArchive, clock: Clock) -> Path:
    """县有档 in a temporary file (the caller removes it): summaries, then every household as it is read."""
    workbook = Workbook(write_only=True)
    townships = workbook.create_sheet("乡镇汇总")
    townships.append([f"{archive.name or archive.code} 贫困户档案", *_made_at(clock, archive.generated_at)])
    townships.append(["乡镇代码", "乡镇", "村数", *SUMMARY_HEADER])
    for township in archive.townships:
        townships.append([township.code, township.name, township.villages, *summary_cells(township)])
    _villages_sheet(workbook, archive.villages)
    households = workbook.create_sheet("农户名单")
    households.append(["序号", "村代码", *HOUSEHOLD_HEADER])
    position = 0
    async for row in archive.households:
        position += 1
        households.append([position, row.village_code, *household_cells(row)])
    # A county's workbook is written to disk and sent from there, never held in memory whole; saving zips
    # what openpyxl already spooled to its own temporary files, so it runs off the event loop.
    return await asyncio.to_thread(_saved_to_temporary_file, workbook)
