"""The monthly report (月报, 001 [E]) of a county, township or village.

Households by status at each month's end come from the status history: today's statuses with every
later change undone. Visits and income measures follow the lists of /visits/under-visited and
/measures/short (households registered or exited now) month by month, among the households already on
file at the month's end; the money paid comes from the subsidy service.
"""

import datetime as dt
from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.auth import Principal
from services.kit.errors import BadGateway, FieldError, NotFound, Unprocessable
from services.kit.regions import region_prefix
from services.registry.clock import Clock
from services.registry.divisions import repository as divisions
from services.registry.parameters import service as parameters
from services.registry.quality import repository as quality
from services.registry.quality.rules import RULES
from services.registry.reports import repository
from services.registry.reports.schemas import (
    CategoryCount,
    MonthFigures,
    MonthlyReport,
    Movement,
    ProgramPaid,
    QualitySummary,
    StatusCount,
)
from services.registry.schemas import RuleCount
from services.registry.vocabulary import LABELS_ZH, HouseholdCategory, HouseholdStatus
from services.subsidy.contract import ProgramMonthPaid

PaidByProgram = Callable[[str, str, str], Awaitable[list[ProgramMonthPaid]]]
MONTHS = 12
# 建档立卡 began in 2014 and the registry's parameters (visits, measures) are in force from 2014-01-01:
# the first month whose 12-month trend they cover.
EARLIEST_MONTH = "2014-12"
LEVEL_LABELS = {6: "县", 9: "乡镇", 12: "村"}
MOVEMENTS = {
    "entered": "新识别纳入",
    "relapsed": "返贫纳入",
    "exits": "脱贫退出",
    "revoked": "清退",
}


def _movement(from_status: str | None, to_status: str) -> str | None:
    if to_status == HouseholdStatus.REGISTERED:
        return "relapsed" if from_status == HouseholdStatus.EXITED else "entered"
    if to_status == HouseholdStatus.EXITED:
        return "exits"
    if to_status == HouseholdStatus.REVOKED:
        return "revoked"
    return None


def _month_number(month: str) -> int:
    year, number = (int(part) for part in month.split("-"))
    return year * 12 + number - 1


def _first_day(number: int) -> dt.date:
    return dt.date(number // 12, number % 12 + 1, 1)


def _label(number: int) -> str:
    return f"{number // 12}-{number % 12 + 1:02d}"


class _Months:
    """The 12 months up to the report's month: their labels, days, and the instants they start (UTC)."""

    def __init__(self, month: str, clock: Clock) -> None:
        last = _month_number(month)
        self.numbers = list(range(last - MONTHS + 1, last + 1))
        self.labels = [_label(number) for number in self.numbers]
        self.first_days = [_first_day(number) for number in self.numbers]
        self.last_days = [_first_day(number + 1) - dt.timedelta(days=1) for number in self.numbers]
        # Month j runs from bounds[j] to bounds[j + 1]: an instant in it falls in bucket j + 1.
        self.bounds = [clock.start_of_day(_first_day(number)) for number in [*self.numbers, last + 1]]


async def _stocks_and_movements(
    session: AsyncSession, prefix: str, months: _Months
) -> tuple[list[dict[str, int]], list[dict[str, int]]]:
    """Households by status at each month's end, and the movements within each month."""
    stocks: list[dict[str, int]] = [{} for _ in months.numbers]
    moved: list[dict[str, int]] = [dict.fromkeys(MOVEMENTS, 0) for _ in months.numbers]
    for row in await repository.households_by_status(session, prefix, months.bounds):
        for j, stock in enumerate(stocks):
            if row.created <= j + 1:
                stock[row.status] = stock.get(row.status, 0) + int(row.households)
    for row in await repository.status_changes(session, prefix, months.bounds):
        count = int(row.households)
        for j, stock in enumerate(stocks):
            # A change after month j's end is undone for a household that existed at that end.
            if row.created <= j + 1 and row.changed >= j + 2:
                stock[row.to_status] = stock.get(row.to_status, 0) - count
                if row.from_status is not None:
                    stock[row.from_status] = stock.get(row.from_status, 0) + count
        kind = _movement(row.from_status, row.to_status)
        if kind is not None and 1 <= row.changed <= MONTHS:
            moved[row.changed - 1][kind] += count
    return stocks, moved


async def _help_gaps(
    session: AsyncSession, region_code: str, months: _Months, today: dt.date
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Per month: (required, households) visited less than required, and short of income measures."""
    prefix = region_prefix(region_code)
    created = await repository.helped_by_creation(session, prefix, months.bounds)
    helped = [sum(n for bucket, n in created.items() if bucket <= j + 1) for j in range(MONTHS)]
    visits_required = [
        await parameters.integer(session, "visit_min_per_month", region_code, day)
        for day in months.first_days
    ]
    days = [min(day, today) for day in months.last_days]
    measures_required = [
        await parameters.integer(session, "min_income_measures", region_code, day) for day in days
    ]
    visited = await repository.visited_enough(
        session, prefix, [*months.first_days, months.last_days[-1] + dt.timedelta(days=1)], visits_required
    )
    measured = await repository.measured_enough(session, prefix, days, measures_required)
    # A household with no visit or measure has no row: it is short unless nothing is required.
    return (
        [(need, helped[j] - visited.get(j + 1, 0) if need else 0) for j, need in enumerate(visits_required)],
        [
            (need, helped[j] - measured.get(j + 1, 0) if need else 0)
            for j, need in enumerate(measures_required)
        ],
    )


async def _quality(session: AsyncSession, region_code: str) -> QualitySummary | None:
    run = await quality.latest_done_covering(session, region_code)
    if run is None:
        return None
    counts = await quality.rule_counts(session, run.id, region_code)
    return QualitySummary(
        run_id=run.id,
        finished_at=run.finished_at,
        problems=sum(counts.values()),
        households=await quality.households_with_findings(session, run.id, region_code),
        by_rule=[
            RuleCount(rule=rule.code, label_zh=rule.label_zh, findings=counts.get(rule.code, 0))
            for rule in RULES
        ],
    )


async def _paid(paid_by_program: PaidByProgram, region_code: str, months: _Months) -> list[ProgramMonthPaid]:
    try:
        return await paid_by_program(region_code, months.labels[0], months.labels[-1])
    except httpx.HTTPError as exc:
        raise BadGateway(
            "The subsidy service could not be asked for the money paid; try again.",
            "暂时无法从扶贫资金系统获取资金发放数据,请稍后重试。",
        ) from exc


def _check_month(month: str, today: dt.date) -> None:
    problem = None
    if _month_number(month) > today.year * 12 + today.month - 1:
        problem = ("The month has not begun yet.", "月份不能晚于本月。", "a future month")
    elif month < EARLIEST_MONTH:
        problem = (
            f"Monthly reports start with {EARLIEST_MONTH}.",
            f"月报自{EARLIEST_MONTH}起提供。",
            "before the first reportable month",
        )
    if problem is not None:
        detail, detail_zh, reason = problem
        raise Unprocessable(
            detail,
            detail_zh,
            fields=[FieldError(loc=["query", "month"], message=reason, message_zh=detail_zh)],
        )


async def monthly_report(
    session: AsyncSession,
    region_code: str,
    month: str | None,
    *,
    principal: Principal,
    clock: Clock,
    paid_by_program: PaidByProgram,
) -> MonthlyReport:
    """月报 of a county, township or village for a month (this month by default), with its 12-month trend."""
    prefix = region_prefix(region_code)
    if len(prefix) not in LEVEL_LABELS or not principal.covers(region_code):
        raise NotFound(
            "No such county, township or village in your regions.", "您的管辖范围内无此县、乡镇或村。"
        )
    today = clock.today()
    month = month or _label(today.year * 12 + today.month - 1)
    _check_month(month, today)
    months = _Months(month, clock)
    paid = await _paid(paid_by_program, region_code, months)
    stocks, moved = await _stocks_and_movements(session, prefix, months)
    visits, short = await _help_gaps(session, region_code, months, today)
    paid_by_month = dict.fromkeys(months.labels, 0)
    programs: dict[str, ProgramPaid] = {}
    for row in paid:
        paid_by_month[row.month] = paid_by_month.get(row.month, 0) + row.paid_fen
        if row.month == month:
            program = programs.setdefault(
                row.program_code,
                ProgramPaid(
                    program_code=row.program_code, program_name_zh=row.program_name_zh, payments=0, paid_fen=0
                ),
            )
            program.payments += row.payments
            program.paid_fen += row.paid_fen
    division = await divisions.get(session, region_code)
    return MonthlyReport(
        division_code=region_code,
        division_name=division.name if division else None,
        level_label=LEVEL_LABELS[len(prefix)],
        month=month,
        generated_at=clock.now(),
        households_by_status=[
            StatusCount(
                status=status.value, status_label=status.label_zh, households=stocks[-1].get(status, 0)
            )
            for status in HouseholdStatus
        ],
        households_by_category=[
            CategoryCount(
                status=row.status,
                status_label=LABELS_ZH[HouseholdStatus, row.status],
                category=row.category,
                category_label=LABELS_ZH[HouseholdCategory, row.category],
                households=int(row.households),
            )
            for row in sorted(
                await repository.households_by_category(session, prefix),
                key=lambda row: (list(HouseholdStatus).index(row.status), row.category),
            )
        ],
        movements=[
            Movement(kind=kind, label_zh=label, households=moved[-1][kind])
            for kind, label in MOVEMENTS.items()
        ],
        visits_required=visits[-1][0],
        under_visited=visits[-1][1],
        measures_required=short[-1][0],
        short_of_measures=short[-1][1],
        subsidy_by_program=sorted(programs.values(), key=lambda program: program.program_code),
        subsidy_paid_fen=paid_by_month[month],
        quality=await _quality(session, region_code),
        trend=[
            MonthFigures(
                month=label,
                registered=stock.get(HouseholdStatus.REGISTERED, 0),
                exited=stock.get(HouseholdStatus.EXITED, 0),
                entered=movement["entered"],
                relapsed=movement["relapsed"],
                exits=movement["exits"],
                revoked=movement["revoked"],
                under_visited=visit[1],
                short_of_measures=gap[1],
                subsidy_paid_fen=paid_by_month[label],
            )
            for label, stock, movement, visit, gap in zip(
                months.labels, stocks, moved, visits, short, strict=True
            )
        ],
    )
