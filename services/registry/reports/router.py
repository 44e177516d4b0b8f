"""Monthly report endpoint (月报): JSON or XLSX."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from services.kit.auth import PrincipalDep
from services.kit.database import SessionDep
from services.registry.clock import ClockDep
from services.registry.records.router import XLSX_RESPONSE, DivisionCodePath
from services.registry.records.xlsx import CONTENT_TYPE
from services.registry.reports import service, xlsx
from services.registry.reports.schemas import MonthlyReport

router = APIRouter(prefix="/api/v1/registry/monthly-reports", tags=["records / 户卡村册"])


@router.get(
    "/{division_code}",
    response_model=MonthlyReport,
    responses=XLSX_RESPONSE,
    summary="Monthly report of a county, township or village / 月报",
    description=(
        "Households by status at the month's end and by category, entries and exits in the month, "
        "visits below the minimum, households short of income measures, money paid by program (from "
        "the subsidy service: 502 when it cannot be asked), open data-quality problems, and the 12 "
        "months up to `month` (default: this month; a future month is a 422). `format=xlsx` gives the "
        "workbook with the trend's charts. 按状态和类别统计农户、本月进退、走访与增收措施不足、资金发放、"
        "数据质量问题及近12个月趋势。"
    ),
)
async def monthly_report(
    division_code: DivisionCodePath,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    clock: ClockDep,
    month: Annotated[
        str | None, Query(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$", description="YYYY-MM, from 2000")
    ] = None,
    output: Annotated[Literal["json", "xlsx"], Query(alias="format")] = "json",
) -> MonthlyReport | Response:
    report = await service.monthly_report(
        session,
        division_code,
        month,
        principal=principal,
        clock=clock,
        paid_by_program=request.app.state.subsidy.paid_by_program,
    )
    if output == "json":
        return report
    name = f"monthly-report-{division_code}-{report.month}.xlsx"
    return Response(
        xlsx.report_workbook(report, clock),
        media_type=CONTENT_TYPE,
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )
