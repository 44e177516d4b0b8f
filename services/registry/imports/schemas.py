"""Bodies of the household import (档案导入): spreadsheet rows as text, checked one household at a time."""

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from services.kit.schemas import RequestModel

Cell = Annotated[str, Field(max_length=1000)] | int | float | bool | None
"""A spreadsheet cell as read: text (codes or Chinese labels, dates, yuan amounts), a number, or empty."""
RowNumber = Annotated[int, Field(ge=1, description="row number in the file / 文件中的行号")]
MAX_HOUSEHOLDS = 500


class ImportMember(RequestModel):
    """One member row (成员) as the county's file has it."""

    row: RowNumber
    name: Cell = Field(None, description="姓名")
    id_number: Cell = Field(None, description="身份证号码")
    sex: Cell = Field(None, description="性别 (男/女; from the ID number when empty)")
    birth_date: Cell = Field(None, description="出生日期 (from the ID number when empty)")
    relation: Cell = Field(None, description="与户主关系")
    labour_capacity: Cell = Field(None, description="劳动能力 (普通劳动力 when empty)")
    health: Cell = Field(None, description="健康状况")
    schooling_stage: Cell = Field(None, description="在校生状况")
    work_location: Cell = Field(None, description="务工状况")
    months_worked: Cell = Field(None, description="务工时间 (months)")
    medical_insurance: Cell = Field(None, description="参加医疗保险 (城乡居民基本医疗保险)")


class ImportHousehold(RequestModel):
    """One household (户): its own columns, and its member rows."""

    row: RowNumber
    members: Annotated[list[ImportMember], Field(min_length=1, max_length=100)]
    village_code: Cell = Field(None, description="行政区划代码 (a village, 12 digits)")
    head_name: Cell = Field(None, description="户主姓名 (checked against the head's row)")
    group_name: Cell = Field(None, description="村民小组")
    status: Cell = Field(None, description="户状态 (已建档立卡 when empty)")
    category: Cell = Field(None, description="户类别 (贫困户属性)")
    poverty_degree: Cell = Field(None, description="贫困程度")
    main_cause: Cell = Field(None, description="致贫原因 (the main one)")
    secondary_causes: Cell = Field(None, description="其他致贫原因 (separated by 、 or ,)")
    exit_year: Cell = Field(None, description="脱贫年度")
    per_capita_net_income_yuan: Cell = Field(None, description="人均纯收入, yuan")
    wages_yuan: Cell = Field(None, description="工资性收入, yuan")
    production_net_yuan: Cell = Field(None, description="生产经营性收入, yuan")
    property_yuan: Cell = Field(None, description="财产性收入, yuan")
    transfer_yuan: Cell = Field(None, description="转移性收入, yuan")
    production_cost_yuan: Cell = Field(None, description="生产经营性支出, yuan")
    housing_structure: Cell = Field(None, description="住房结构")
    housing_area_m2: Cell = Field(None, description="住房面积 (m²)")
    housing_safety_grade: Cell = Field(None, description="住房安全等级 (A–D)")
    drinking_water_safe: Cell = Field(None, description="饮水安全 (是/否)")
    bank_name: Cell = Field(None, description="开户银行")
    bank_account: Cell = Field(None, description="银行账号 (一卡通)")


class ImportRequest(RequestModel):
    """Up to 500 households; `dry_run` checks every one and writes nothing."""

    dry_run: bool = Field(False, description="check only, store nothing / 仅校验,不写入")
    households: Annotated[list[ImportHousehold], Field(min_length=1, max_length=MAX_HOUSEHOLDS)]


class ImportProblem(BaseModel):
    """Why a household was refused: the row and column it concerns, in English and Chinese."""

    row: int
    field: str | None
    message: str
    message_zh: str


class ImportOutcome(BaseModel):
    """What became of one household: created (or would be, in a dry run), unchanged, or rejected."""

    row: int
    status: Literal["created", "unchanged", "rejected"]
    household_id: uuid.UUID | None = None
    problems: list[ImportProblem] = Field(default_factory=list)


class ImportResult(BaseModel):
    """Counts and one outcome per household, in the order sent."""

    dry_run: bool
    created: int
    unchanged: int
    rejected: int
    items: list[ImportOutcome]
