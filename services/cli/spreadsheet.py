"""County spreadsheets (XLSX, CSV) read row by row, grouped into households, and the rejected-rows report."""

import codecs
import csv
import datetime as dt
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import yaml
from openpyxl.utils.exceptions import InvalidFileException

from services.cli.api import CliError, ExitCode

HOUSEHOLD_COLUMNS = {
    "行政区划代码": "village_code",
    "户主姓名": "head_name",
    "村民小组": "group_name",
    "户状态": "status",
    "户类别": "category",
    "贫困程度": "poverty_degree",
    "致贫原因": "main_cause",
    "其他致贫原因": "secondary_causes",
    "脱贫年度": "exit_year",
    "人均纯收入": "per_capita_net_income_yuan",
    "工资性收入": "wages_yuan",
    "生产经营性收入": "production_net_yuan",
    "财产性收入": "property_yuan",
    "转移性收入": "transfer_yuan",
    "生产经营性支出": "production_cost_yuan",
    "住房结构": "housing_structure",
    "住房面积": "housing_area_m2",
    "住房安全等级": "housing_safety_grade",
    "饮水安全": "drinking_water_safe",
    "开户银行": "bank_name",
    "银行账号": "bank_account",
}
MEMBER_COLUMNS = {
    "姓名": "name",
    "身份证号码": "id_number",
    "性别": "sex",
    "出生日期": "birth_date",
    "与户主关系": "relation",
    "劳动能力": "labour_capacity",
    "健康状况": "health",
    "在校生状况": "schooling_stage",
    "务工状况": "work_location",
    "务工时间": "months_worked",
    "参加医疗保险": "medical_insurance",
}
HOUSEHOLD_KEY, HEAD_ID = "户编号", "户主身份证号码"
"""Optional columns that say which household a row belongs to (else each 户主 row starts one)."""
ALIASES = {
    "村代码": "行政区划代码",
    "行政村代码": "行政区划代码",
    "区划代码": "行政区划代码",
    "证件号码": "身份证号码",
    "户主证件号码": HEAD_ID,
    "户主身份证号": HEAD_ID,
    "贫困户属性": "户类别",
    "主要致贫原因": "致贫原因",
    "劳动技能": "劳动能力",
    "务工时间(月)": "务工时间",
    "住房面积(平方米)": "住房面积",
    "人均纯收入(元)": "人均纯收入",
}
REQUIRED = ("行政区划代码", "姓名", "身份证号码", "与户主关系")
HEAD_WORDS = frozenset(("户主", "本人", "head"))
MAX_CELL = 1000
MAX_ROWS_PER_HOUSEHOLD = 100
REPORT_HEADERS = ("行号", "户主身份证号", "原因")


@dataclass
class Household:
    """One household as sent: the API body, the head's ID number as in the file, and its rows."""

    body: dict[str, Any]
    head_id: str
    rows: list[int] = field(default_factory=list)


@dataclass
class Problem:
    """A rejected row for the report (行号, 户主身份证号, 原因)."""

    row: int
    head_id: str
    reason: str


@dataclass
class Layout:
    """Which column holds what: header row and each column's canonical name (None: ignored)."""

    header_row: int = 1
    renames: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None) -> "Layout":
        """A mapping file (YAML or JSON): `header_row`, and `columns` from the file's header to ours."""
        if path is None:
            return cls()
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise CliError(
                ExitCode.USAGE, f"无法读取映射文件 {path} (cannot read the mapping file): {exc}"
            ) from exc
        if not isinstance(document, dict) or not isinstance(document.get("columns", {}), dict):
            raise CliError(ExitCode.USAGE, f"映射文件 {path} 应包含 columns 对照表 (mapping needs `columns`)")
        known = {*HOUSEHOLD_COLUMNS, *MEMBER_COLUMNS, HOUSEHOLD_KEY, HEAD_ID}
        renames: dict[str, str | None] = {}
        for theirs, ours in document.get("columns", {}).items():
            if ours is not None and ours not in known:
                raise CliError(
                    ExitCode.USAGE,
                    f"映射文件中「{theirs}」对应的「{ours}」不是可识别的列名;可用:{'、'.join(sorted(known))}",
                )
            renames[str(theirs).strip()] = ours
        header_row = document.get("header_row", 1)
        if not isinstance(header_row, int) or header_row < 1:
            raise CliError(ExitCode.USAGE, "映射文件的 header_row 应为正整数 (header_row must be ≥ 1)")
        return cls(header_row, renames)

    def canonical(self, header: str) -> str | None:
        if header in self.renames:
            return self.renames[header]
        return ALIASES.get(header, header)


def _cell(value: Any) -> Any:
    """A cell as JSON: dates as ISO text, empty text as None."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _csv_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the start of the file decodes as it, else GB18030 (Excel in China)."""
    with path.open("rb") as stream:
        start = stream.read(1 << 20)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(start, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def read_rows(
    path: Path, on_size: Callable[[int | None], None] = lambda _rows: None
) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cells) of the first sheet or the CSV, streamed: never the whole file in memory.

    `on_size` learns how many rows there are, for a progress bar: a CSV's lines, the sheet's stated size.
    """
    suffix = path.suffix.lower()
    if not path.is_file():
        raise CliError(ExitCode.USAGE, f"文件不存在 (no such file): {path}")
    if suffix == ".csv":
        with path.open("rb") as stream:
            on_size(sum(1 for _ in stream))
        encoding = _csv_encoding(path)
        try:
            with path.open(encoding=encoding, newline="") as stream:
                for number, cells in enumerate(csv.reader(stream), start=1):
                    yield number, [_cell(value) for value in cells]
        except (UnicodeDecodeError, csv.Error) as exc:
            raise CliError(ExitCode.USAGE, f"CSV 文件无法读取 (unreadable CSV): {exc}") from exc
        return
    if suffix not in (".xlsx", ".xlsm"):
        raise CliError(ExitCode.USAGE, f"不支持的文件类型 {suffix or '(无扩展名)'}:请使用 .xlsx 或 .csv")
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, InvalidFileException, KeyError) as exc:
        raise CliError(ExitCode.USAGE, f"XLSX 文件无法打开,可能已损坏 (unreadable XLSX): {exc}") from exc
    try:
        sheet = workbook.active
        if sheet is None:
            raise CliError(ExitCode.USAGE, "XLSX 文件中没有工作表 (no sheet)")
        on_size(sheet.max_row)
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell(value) for value in cells]
    finally:
        workbook.close()


class Grouper:
    """Turns member rows into households: consecutive rows with the same 户编号 or 户主身份证号码, or from
    one 户主 row to the next when the file has neither."""

    def __init__(self, headers: list[Any], layout: Layout) -> None:
        self.columns: list[tuple[int, str]] = []
        names = [layout.canonical(str(header).strip()) if header is not None else None for header in headers]
        unknown = [
            str(header)
            for header, name in zip(headers, names, strict=True)
            if header is not None
            and name is not None
            and name not in {*HOUSEHOLD_COLUMNS, *MEMBER_COLUMNS}
            and name not in (HOUSEHOLD_KEY, HEAD_ID)
        ]
        missing = [name for name in REQUIRED if name not in names]
        if missing:
            raise CliError(
                ExitCode.USAGE,
                f"缺少必需的列:{'、'.join(missing)}(表头在第 {layout.header_row} 行;"
                "其他格式请用 --mapping 映射文件)" + (f";未识别的列:{'、'.join(unknown)}" if unknown else ""),
            )
        self.unknown = unknown
        self.columns = [(position, name) for position, name in enumerate(names) if name is not None]
        self.key_column = HOUSEHOLD_KEY if HOUSEHOLD_KEY in names else HEAD_ID if HEAD_ID in names else None
        self._current: Household | None = None
        self._current_key: str | None = None
        self._finished: set[str] = set()
        self._heads = 0
        self.rows = 0
        self.problems: list[Problem] = []

    def _values(self, cells: list[Any]) -> dict[str, Any]:
        return {name: cells[position] if position < len(cells) else None for position, name in self.columns}

    def add(self, number: int, cells: list[Any]) -> Household | None:
        """Take one row; returns the household it completes, if any."""
        values = self._values(cells)
        if all(value is None for value in values.values()):
            return None
        self.rows += 1
        too_long = [
            name for name, value in values.items() if isinstance(value, str) and len(value) > MAX_CELL
        ]
        head_id = str(values.get(HEAD_ID) or (values["身份证号码"] if self._is_head(values) else "") or "")
        if too_long:
            self.problems.append(
                Problem(number, head_id, f"{'、'.join(too_long)}:内容过长(超过 {MAX_CELL} 字)")
            )
            return None
        key = self._key(values)
        if key is None:
            self.problems.append(Problem(number, head_id, f"{self.key_column}:为空,无法确定所属农户"))
            return None
        done = None
        if key != self._current_key:
            done = self.finish()
            if key in self._finished:
                self.problems.append(
                    Problem(number, head_id, "同一户的成员行不相邻:请把同一户的各行放在一起")
                )
                return done
            self._current_key = key
            self._current = Household({"row": number, "members": []}, head_id)
        household = self._current
        assert household is not None
        if len(household.rows) >= MAX_ROWS_PER_HOUSEHOLD:
            self.problems.append(Problem(number, household.head_id, f"一户超过 {MAX_ROWS_PER_HOUSEHOLD} 行"))
            return done
        household.rows.append(number)
        if self._is_head(values) and not household.head_id:
            household.head_id = str(values["身份证号码"] or "")
        member: dict[str, Any] = {"row": number}
        for name, value in values.items():
            if value is None:
                continue
            if name in MEMBER_COLUMNS:
                member[MEMBER_COLUMNS[name]] = value
            elif name in HOUSEHOLD_COLUMNS:
                household.body.setdefault(HOUSEHOLD_COLUMNS[name], value)
        household.body["members"].append(member)
        return done

    def _is_head(self, values: dict[str, Any]) -> bool:
        return str(values.get("与户主关系") or "").strip() in HEAD_WORDS

    def _key(self, values: dict[str, Any]) -> str | None:
        if self.key_column is not None:
            value = values.get(self.key_column)
            return None if value is None else str(value)
        if self._is_head(values) or self._current_key is None:
            self._heads += 1
            return f"#{self._heads}"
        return self._current_key

    def finish(self) -> Household | None:
        """The household being read, complete (at a change of household or the end of the file)."""
        household, self._current = self._current, None
        if self._current_key is not None:
            self._finished.add(self._current_key)
        self._current_key = None
        return household


class Report:
    """The rejected rows (行号, 户主身份证号, 原因) as XLSX or CSV, written as they come."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0
        self._xlsx = path.suffix.lower() == ".xlsx"
        self._workbook: Any = None
        self._stream: Any = None
        self._writer: Any = None

    def add(self, problem: Problem) -> None:
        if self.rows == 0:
            self._open()
        self.rows += 1
        row = (problem.row, problem.head_id, problem.reason)
        if self._xlsx:
            self._sheet.append(row)
        else:
            self._writer.writerow(row)

    def _open(self) -> None:
        if self._xlsx:
            self._workbook = openpyxl.Workbook(write_only=True)
            self._sheet = self._workbook.create_sheet("未导入的行")
            self._sheet.append(REPORT_HEADERS)
        else:
            self._stream = self.path.open("w", encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._stream)
            self._writer.writerow(REPORT_HEADERS)

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.save(self.path)
        if self._stream is not None:
            self._stream.close()
