"""The monthly report (月报) of a county, township or village, as JSON."""

import datetime as dt
import uuid

from pydantic import BaseModel, Field

from services.registry.schemas import RuleCount


class StatusCount(BaseModel):
    status: str
    status_label: str
    households: int


class CategoryCount(BaseModel):
    status: str
    status_label: str
    category: str
    category_label: str
    households: int


class Movement(BaseModel):
    """Households that moved in the month: entered (新识别), relapsed (返贫), exits (脱贫), revoked (清退)."""

    kind: str
    label_zh: str
    households: int


class ProgramPaid(BaseModel):
    program_code: str
    program_name_zh: str
    payments: int
    paid_fen: int


class QualitySummary(BaseModel):
    """Open data-quality problems: the findings of the newest finished run that covered the whole region."""

    run_id: uuid.UUID
    finished_at: dt.datetime | None
    problems: int
    households: int
    by_rule: list[RuleCount]


class MonthFigures(BaseModel):
    """One month of the trend: households at the month's end by status, movements, help and money."""

    month: str
    registered: int
    exited: int
    entered: int
    relapsed: int
    exits: int
    revoked: int
    under_visited: int
    short_of_measures: int
    subsidy_paid_fen: int


class MonthlyReport(BaseModel):
    """月报: a region's households, movements, help and money in a month, with the 12 months up to it."""

    division_code: str
    division_name: str | None
    level_label: str
    month: str
    generated_at: dt.datetime
    households_by_status: list[StatusCount] = Field(description="at the end of the month (from the history)")
    households_by_category: list[CategoryCount] = Field(description="as the file stands at generated_at")
    movements: list[Movement]
    visits_required: int
    under_visited: int = Field(description="registered and exited households visited less than required")
    measures_required: int
    short_of_measures: int = Field(description="registered and exited households short of income measures")
    subsidy_by_program: list[ProgramPaid]
    subsidy_paid_fen: int
    quality: QualitySummary | None
    trend: list[MonthFigures] = Field(description="the 12 months up to and including the report's month")
