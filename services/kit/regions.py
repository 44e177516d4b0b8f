"""12-digit statistical division codes (2 province, 2 city, 2 county, 3 township, 3 village)."""

import re

from sqlalchemy import ColumnElement, false, or_, true
from sqlalchemy.orm import QueryableAttribute

LEVEL_LENGTHS = (2, 4, 6, 9, 12)
LEVEL_NAMES = ("province", "city", "county", "township", "village")
DIVISION_CODE = re.compile(r"[0-9]{12}")
"""ASCII digits only (`\\d` would take full-width and other scripts' digits), matched whole."""
NATIONAL = "000000000000"


def is_division_code(code: str) -> bool:
    return DIVISION_CODE.fullmatch(code) is not None


def region_prefix(code: str) -> str:
    """The significant prefix of a code: '410102001000' (a township) -> '410102001'; national -> ''."""
    if code.strip("0") == "":
        return ""
    for length in LEVEL_LENGTHS:
        if code[length:].strip("0") == "":
            return code[:length]
    return code


def level_of(code: str) -> str:
    return LEVEL_NAMES[LEVEL_LENGTHS.index(len(region_prefix(code)))]


def county_of(code: str) -> str:
    return code[:6] + "000000"


def region_bounds(prefix: str) -> tuple[str, str]:
    """Lowest and highest 12-digit code under a prefix, for index-friendly range queries."""
    return prefix.ljust(12, "0"), prefix.ljust(12, "9")


def region_filter(column: QueryableAttribute[str], prefixes: tuple[str, ...]) -> ColumnElement[bool]:
    """SQL condition: the code in `column` lies under one of `prefixes` ('' means everywhere)."""
    if any(prefix == "" for prefix in prefixes):
        return true()
    if not prefixes:
        return false()
    return or_(*(column.between(*region_bounds(prefix)) for prefix in prefixes))
