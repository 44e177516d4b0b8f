"""Spreadsheet cells as the registry's values: codes or their Chinese labels, yuan, dates, yes/no."""

import contextlib
import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import TypeVar

from services.registry.vocabulary import (
    LABELS_ZH,
    HouseholdCategory,
    HouseholdStatus,
    LabelledEnum,
    PovertyCause,
    Relation,
    Sex,
)

Cell = str | int | float | bool | None
MAX_YUAN = Decimal(100_000_000)
E = TypeVar("E", bound=LabelledEnum)
ALIASES: dict[type[LabelledEnum], dict[str, LabelledEnum]] = {
    Relation: {
        **dict.fromkeys(("本人", "户主本人"), Relation.HEAD),
        **dict.fromkeys(("妻子", "丈夫", "妻", "夫", "之妻", "之夫"), Relation.SPOUSE),
        **dict.fromkeys(
            ("子", "女", "儿子", "女儿", "之子", "之女", "长子", "次子", "三子", "长女", "次女", "三女"),
            Relation.CHILD,
        ),
        **dict.fromkeys(("父亲", "母亲", "父", "母", "之父", "之母"), Relation.PARENT),
        **dict.fromkeys(
            ("孙子", "孙女", "之孙子", "之孙女", "外孙子", "外孙女", "孙子女", "外孙子女"),
            Relation.GRANDCHILD,
        ),
        **dict.fromkeys(
            ("兄", "弟", "姐", "妹", "兄弟", "姐妹", "之兄", "之弟", "之姐", "之妹"), Relation.SIBLING
        ),
    },
    Sex: {"男性": Sex.MALE, "女性": Sex.FEMALE},
    HouseholdStatus: {
        **dict.fromkeys(("未脱贫", "贫困户", "建档立卡"), HouseholdStatus.REGISTERED),
        **dict.fromkeys(("脱贫", "脱贫户", "已脱贫户"), HouseholdStatus.EXITED),
    },
    HouseholdCategory: {
        **dict.fromkeys(("五保户", "特困供养户", "五保贫困户", "特困供养贫困户"), HouseholdCategory.WUBAO),
        "一般农户": HouseholdCategory.NOT_POOR,
    },
    PovertyCause: {
        "因病致贫": PovertyCause.ILLNESS,
        "因残致贫": PovertyCause.DISABILITY,
        "因学致贫": PovertyCause.SCHOOLING,
        "因灾致贫": PovertyCause.DISASTER,
        "缺劳动力": PovertyCause.LACK_OF_LABOUR,
        "交通落后": PovertyCause.POOR_TRANSPORT,
        "交通条件落后": PovertyCause.POOR_TRANSPORT,
    },
}
TRUE_WORDS = frozenset(("是", "有", "安全", "已参加", "参加", "true", "yes", "y", "1", "√"))
FALSE_WORDS = frozenset(("否", "无", "不安全", "未参加", "false", "no", "n", "0", "×"))
SEPARATORS = re.compile(r"[、,，;；/\s]+")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


class CellError(ValueError):
    """A cell that cannot be read as what its column holds; the message says why, in Chinese too."""

    def __init__(self, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.message_zh = message_zh


def text(cell: Cell) -> str | None:
    """The cell as stripped text; None when empty (a whole number read as 3.0 is "3")."""
    if cell is None:
        return None
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    value = str(cell).strip()
    return value or None


@cache
def _choices(kind: type[LabelledEnum]) -> dict[str, LabelledEnum]:
    found: dict[str, LabelledEnum] = {}
    for member in kind:
        found[member.value.lower()] = member
        found[LABELS_ZH[(kind, member.value)]] = member
    found.update(ALIASES.get(kind, {}))
    return found


def code(cell: Cell, kind: type[E]) -> E | None:
    """A coded value given as its code or its Chinese label (或常见写法)."""
    value = text(cell)
    if value is None:
        return None
    found = _choices(kind).get(value) or _choices(kind).get(value.lower())
    if found is None:
        labels = "、".join(member.label_zh for member in kind)
        raise CellError(f"'{value}' is not one of the choices.", f"「{value}」不是可选值(可选:{labels})")
    return found  # type: ignore[return-value]


def codes(cell: Cell, kind: type[E]) -> list[E]:
    """Several coded values in one cell, separated by 、 , ; or spaces."""
    value = text(cell)
    return [found for part in SEPARATORS.split(value or "") if part and (found := code(part, kind))]


def number(cell: Cell) -> Decimal | None:
    value = text(cell)
    if value is None:
        return None
    try:
        parsed = Decimal(value.replace(",", "").replace("，", "").removesuffix("元"))
    except InvalidOperation:
        raise CellError(f"'{value}' is not a number.", f"「{value}」不是数字") from None
    if not parsed.is_finite() or parsed < 0:
        raise CellError(
            f"'{value}' is not a number of zero or more.", f"「{value}」应为不小于零的数"
        ) from None
    return parsed


def yuan(cell: Cell) -> int | None:
    """An amount in yuan (元, at most two decimals) as fen."""
    amount = number(cell)
    if amount is None:
        return None
    if amount > MAX_YUAN or amount != amount.quantize(Decimal("0.01")):
        raise CellError(
            f"'{text(cell)}' is not an amount in yuan with at most two decimals.",
            f"「{text(cell)}」不是有效的金额(元,最多两位小数)",
        )
    return int(amount * 100)


def integer(cell: Cell) -> int | None:
    value = number(cell)
    if value is None:
        return None
    if value != value.to_integral_value() or value > 10_000:
        raise CellError(f"'{text(cell)}' is not a whole number.", f"「{text(cell)}」不是整数")
    return int(value)


def boolean(cell: Cell) -> bool | None:
    if isinstance(cell, bool):
        return cell
    value = text(cell)
    if value is None:
        return None
    if value.lower() in TRUE_WORDS:
        return True
    if value.lower() in FALSE_WORDS:
        return False
    raise CellError(f"'{value}' is not yes or no.", f"「{value}」应为“是”或“否”")


def date(cell: Cell) -> dt.date | None:
    """A date written 2026-11-20, 2026/11/20, 2026.11.20, 20261120 or 2026年11月20日."""
    value = text(cell)
    if value is None:
        return None
    with contextlib.suppress(ValueError):
        return dt.date.fromisoformat(value[:10])
    for pattern in DATE_FORMATS[1:]:
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise CellError(f"'{value}' is not a date.", f"「{value}」不是有效日期(如 2026-11-20)")
