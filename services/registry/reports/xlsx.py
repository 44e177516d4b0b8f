"""The monthly report as an Excel workbook: the month's figures, and the 12-month trend with its charts."""

from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference

from services.registry.clock import Clock
from services.registry.records.xlsx import save, yuan
from services.registry.reports.schemas import MonthlyReport

TREND_HEADER = [
    "月份",
    "建档立卡户(月末)",
    "已脱贫户(月末)",
    "新识别纳入",
    "返贫纳入",
    "脱贫退出",
    "清退",
    "走访不足户数",
    "增收措施不足户数",
    "资金发放(元)",
]


def _month_sheet(workbook: Workbook, report: MonthlyReport, clock: Clock) -> None:
    sheet = workbook.active
    sheet.title = "月报"
    rows: list[list[Any]] = [
        [f"{report.division_name or report.division_code} 扶贫工作月报({report.month})"],
        ["区划代码", report.division_code, "层级", report.level_label],
        ["制表时间", clock.local(report.generated_at).strftime("%Y-%m-%d %H:%M")],
        [],
        ["农户状态(月末)", "户数"],
        *([row.status_label, row.households] for row in report.households_by_status),
        [],
        ["状态", "户类别(截至制表时)", "户数"],
        *([row.status_label, row.category_label, row.households] for row in report.households_by_category),
        [],
        ["本月变动", "户数"],
        *([row.label_zh, row.households] for row in report.movements),
        [],
        ["帮扶情况", "户数", "标准"],
        ["走访次数低于标准", report.under_visited, f"每月{report.visits_required}次"],
        ["增收措施不足", report.short_of_measures, f"{report.measures_required}项"],
        [],
        ["资金发放(已支付)", "项目代码", "笔数", "金额(元)"],
        *(
            [row.program_name_zh, row.program_code, row.payments, yuan(row.paid_fen)]
            for row in report.subsidy_by_program
        ),
        ["合计", None, sum(row.payments for row in report.subsidy_by_program), yuan(report.subsidy_paid_fen)],
        [],
    ]
    if report.quality is None:
        rows.append(["数据质量问题", "尚无覆盖本地区的数据质量检查"])
    else:
        rows.append(["数据质量问题", "问题数", "涉及户数"])
        rows.append(["合计", report.quality.problems, report.quality.households])
        rows.extend([rule.label_zh, rule.findings] for rule in report.quality.by_rule if rule.findings)
    for row in rows:
        sheet.append(row)


def _trend_sheet(workbook: Workbook, report: MonthlyReport) -> None:
    sheet = workbook.create_sheet("趋势")
    sheet.append(TREND_HEADER)
    for month in report.trend:
        sheet.append(
            [
                month.month,
                month.registered,
                month.exited,
                month.entered,
                month.relapsed,
                month.exits,
                month.revoked,
                month.under_visited,
                month.short_of_measures,
                yuan(month.subsidy_paid_fen),
            ]
        )
    last = len(report.trend) + 1
    months = Reference(sheet, min_col=1, min_row=2, max_row=last)

    stocks = LineChart()
    stocks.title = "建档立卡户与已脱贫户(月末)"
    stocks.add_data(Reference(sheet, min_col=2, max_col=3, min_row=1, max_row=last), titles_from_data=True)
    stocks.set_categories(months)
    sheet.add_chart(stocks, "L2")

    movements = BarChart()
    movements.title = "每月纳入与退出"
    movements.add_data(Reference(sheet, min_col=4, max_col=7, min_row=1, max_row=last), titles_from_data=True)
    movements.set_categories(months)
    sheet.add_chart(movements, "L18")

    money = BarChart()
    money.title = "每月资金发放(元)"
    money.add_data(Reference(sheet, min_col=10, min_row=1, max_row=last), titles_from_data=True)
    money.set_categories(months)
    sheet.add_chart(money, "L34")


def report_workbook(report: MonthlyReport, clock: Clock) -> bytes:
    workbook = Workbook()
    _month_sheet(workbook, report, clock)
    _trend_sheet(workbook, report)
    return save(workbook)
