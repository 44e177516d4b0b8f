"""The documented household input (农户识别输入) and its columnar form for vectorised evaluation.

Rules see `household.<field>` and, inside an aggregate over `household.members`, `m.<field>`.
Every field has a documented default, used when the registry's event does not carry it (older
events, or a field the survey did not record). Booleans that certify an assurance (两不愁三保障)
default to False: an assurance that was not recorded is not taken as met.

Each household is stored twice in the projection: as its canonical facts (JSON, hashed, kept
for explanations and re-runs) and as columns the rules read without parsing JSON: one column per
stored household field (an enum as its code, a missing floor area as NULL) and `members`, one
64-bit code per member (birth date as yyyymmdd in the high 32 bits, the other fields as bit
fields below). numpy (this module) and PostgreSQL (rules/relational.py) decode the same codes.
"""

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class InputField:
    """One variable of the household input, with its type and what it means."""

    name: str
    kind: str  # int, float, bool or enum
    label_zh: str
    label_en: str
    vocabulary: tuple[str, ...] = ()
    default: Any = None
    stored: bool = True  # False: derived when the frame is built
    bits: int = 0  # a member's whole-number field: its width in the member code (values 0 to 2**bits - 1)

    @property
    def code_of(self) -> dict[str, int]:
        """Enum value -> code; 0 is 'unknown' (a value outside the vocabulary, or absent)."""
        return {value: index for index, value in enumerate(self.vocabulary, start=1)}


HOUSEHOLD_FIELDS: tuple[InputField, ...] = (
    InputField(
        "per_capita_net_income_fen", "int", "人均纯收入(分)", "Per-capita net income (fen)", default=0
    ),
    InputField(
        "per_capita_disposable_income_fen",
        "int",
        "人均可支配收入(分),未填时取人均纯收入",
        "Per-capita disposable income (fen); net income when not recorded",
    ),
    InputField("member_count", "int", "家庭人口数", "Number of members", default=0),
    InputField(
        "transfer_income_fen",
        "int",
        "转移性收入(分,全户)",
        "Transfer income, whole household (fen)",
        default=0,
    ),
    InputField(
        "housing_safety_grade",
        "enum",
        "住房安全等级(A/B安全,C/D危房)",
        "Housing safety grade (A/B safe, C/D dangerous)",
        vocabulary=("A", "B", "C", "D"),
    ),
    InputField("housing_area_m2", "float", "住房面积(平方米)", "Housing floor area (m²)", default=math.nan),
    InputField(
        "housing_self_build_capable", "bool", "有自筹建房能力", "Able to build a house itself", default=False
    ),
    InputField("drinking_water_safe", "bool", "饮水安全", "Safe drinking water", default=False),
    InputField(
        "food_clothing_secure", "bool", "不愁吃、不愁穿", "Enough food and clothing (两不愁)", default=False
    ),
    InputField("dibao", "bool", "享受农村低保", "Receives the rural minimum allowance (低保)", default=False),
    InputField("wubao", "bool", "特困供养(五保)", "Extreme-support (五保) recipient", default=False),
    InputField(
        "status",
        "enum",
        "建档状态",
        "Registry status",
        vocabulary=("applicant", "registered", "exited", "revoked", "not_poor"),
    ),
    InputField("exit_year", "int", "脱贫年度(未脱贫为0)", "Year of exit (0 if never exited)", default=0),
    InputField(
        "per_capita_housing_area_m2",
        "float",
        "人均住房面积(平方米)",
        "Per-capita floor area (m²)",
        stored=False,
    ),
    InputField(
        "income_excluding_transfers_fen",
        "int",
        "除转移性收入外的家庭纯收入(分)",
        "Household net income other than transfers (fen)",
        stored=False,
    ),
)

MEMBER_FIELDS: tuple[InputField, ...] = (
    InputField("age", "int", "周岁(评估日)", "Age in full years on the assessment date", stored=False),
    InputField("sex", "enum", "性别", "Sex", vocabulary=("male", "female")),
    InputField(
        "relation",
        "enum",
        "与户主关系",
        "Relation to the head",
        vocabulary=("head", "spouse", "child", "parent", "grandchild", "sibling", "other"),
    ),
    InputField(
        "labour_capacity",
        "enum",
        "劳动能力",
        "Labour capacity",
        vocabulary=("normal", "skilled", "partial", "lost", "none"),
    ),
    InputField("labour_willing", "bool", "有劳动意愿", "Willing to work", default=True),
    InputField(
        "health",
        "enum",
        "健康状况",
        "Health",
        vocabulary=("healthy", "chronic", "serious", "disabled"),
    ),
    InputField(
        "disability_grade",
        "int",
        "残疾等级(0为无,0-15)",
        "Disability grade (0: none; 0-15)",
        default=0,
        bits=4,
    ),
    InputField(
        "schooling_stage",
        "enum",
        "在校生状况",
        "Schooling stage",
        vocabulary=(
            "none",
            "preschool",
            "primary",
            "junior",
            "senior",
            "secondary_vocational",
            "higher_vocational",
            "undergraduate",
        ),
    ),
    InputField("dropped_out", "bool", "辍学", "Dropped out of school", default=False),
    InputField(
        "medical_insured", "bool", "参加基本医疗保险", "Enrolled in basic medical insurance", default=False
    ),
)

HOUSEHOLD = {field.name: field for field in HOUSEHOLD_FIELDS}
MEMBER = {field.name: field for field in MEMBER_FIELDS}

HOUSEHOLD_COLUMNS = tuple(field.name for field in HOUSEHOLD_FIELDS if field.stored)
"""The projection's columns of household fields, in order."""

BIRTH_SHIFT = 32
"""A member code holds the birth date (yyyymmdd) from this bit up."""


def _width(field: InputField) -> int:
    if field.kind == "enum":
        return len(field.vocabulary).bit_length()
    return 1 if field.kind == "bool" else field.bits


def _layout() -> dict[str, tuple[int, int]]:
    layout, shift = {}, 0
    for field in MEMBER_FIELDS:
        if field.stored:
            layout[field.name] = (shift, _width(field))
            shift += _width(field)
    assert shift <= BIRTH_SHIFT, "member fields must fit below the birth date"
    return layout


MEMBER_LAYOUT = _layout()
"""Each stored member field's (shift, width) in the member code."""


def normalise(facts: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical documented input: every field present (defaults applied), members in order."""
    household: dict[str, Any] = {}
    for field in HOUSEHOLD_FIELDS:
        if field.stored:
            value = facts.get(field.name)
            household[field.name] = field.default if value is None else value
    if household["member_count"] == 0:
        household["member_count"] = len(facts.get("members", []))
    if household["per_capita_disposable_income_fen"] is None:
        household["per_capita_disposable_income_fen"] = household["per_capita_net_income_fen"]
    if isinstance(household["housing_area_m2"], float) and math.isnan(household["housing_area_m2"]):
        household["housing_area_m2"] = None
    members = []
    for member in facts.get("members", []):
        entry: dict[str, Any] = {"birth_date": str(member["birth_date"])}
        for field in MEMBER_FIELDS:
            if field.stored:
                value = member.get(field.name, field.default)
                entry[field.name] = field.default if value is None else value
        members.append(entry)
    household["members"] = members
    return household


def canonical_json(value: Any) -> bytes:
    """The one serialisation used for hashing and for byte-for-byte comparisons."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def inputs_hash(facts: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(facts)).hexdigest()


def _code(field: InputField, value: Any) -> Any:
    """A field's stored value: an enum's code (0: unknown), a whole number, yes/no, a float or None."""
    if field.kind == "enum":
        return field.code_of.get(value, 0) if isinstance(value, str) else 0
    if field.kind == "bool":
        return bool(value)
    if field.kind == "float":
        return None if value is None or math.isnan(value) else float(value)
    return int(value or 0)


def member_code(member: Mapping[str, Any]) -> int:
    """One member as a 64-bit code; a whole number outside its field's range is clamped to it."""
    birth = dt.date.fromisoformat(member["birth_date"])
    code = (birth.year * 10000 + birth.month * 100 + birth.day) << BIRTH_SHIFT
    for name, (shift, width) in MEMBER_LAYOUT.items():
        value = int(_code(MEMBER[name], member[name]))
        code |= min(max(value, 0), (1 << width) - 1) << shift
    return code


def encode(facts: Mapping[str, Any]) -> tuple[dict[str, Any], list[int]]:
    """Normalised facts -> (the projection's household columns, the member codes)."""
    household = {name: _code(HOUSEHOLD[name], facts[name]) for name in HOUSEHOLD_COLUMNS}
    return household, [member_code(member) for member in facts["members"]]


IntArray = npt.NDArray[np.int64]
_NUMPY = {"int": np.int64, "float": np.float64, "bool": np.bool_, "enum": np.int64}


@dataclass
class HouseholdBatch:
    """Households as columns: one row per household, one member code per member, `owner` its household row."""

    households: dict[str, npt.NDArray[Any]]
    members: IntArray
    owner: IntArray

    @property
    def size(self) -> int:
        return len(self.households[HOUSEHOLD_COLUMNS[0]])

    @classmethod
    def from_columns(
        cls, columns: Mapping[str, Sequence[Any]], member_codes: Sequence[Sequence[int]]
    ) -> "HouseholdBatch":
        """From the projection's columns (`HOUSEHOLD_COLUMNS`) and each household's member codes."""
        households: dict[str, npt.NDArray[Any]] = {}
        for name in HOUSEHOLD_COLUMNS:
            kind = HOUSEHOLD[name].kind
            values = columns[name]
            if kind == "float":
                values = [math.nan if value is None else value for value in values]
            households[name] = np.asarray(values, dtype=_NUMPY[kind]).reshape(-1)
        counts = np.fromiter((len(codes) for codes in member_codes), np.int64, count=len(member_codes))
        members = np.fromiter(
            (code for codes in member_codes for code in codes), np.int64, count=int(counts.sum())
        )
        owner = np.repeat(np.arange(len(member_codes), dtype=np.int64), counts)
        return cls(households, members, owner)

    @classmethod
    def from_facts(cls, facts: Sequence[Mapping[str, Any]]) -> "HouseholdBatch":
        encoded = [encode(item) for item in facts]
        columns = {name: [household[name] for household, _ in encoded] for name in HOUSEHOLD_COLUMNS}
        return cls.from_columns(columns, [codes for _, codes in encoded])

    def take(self, rows: IntArray) -> "HouseholdBatch":
        """The households at `rows` (sorted), with their members."""
        keep = np.isin(self.owner, rows)
        remap = np.full(self.size, -1, np.int64)
        remap[rows] = np.arange(len(rows))
        households = {name: column[rows] for name, column in self.households.items()}
        return HouseholdBatch(households, self.members[keep], remap[self.owner[keep]])

    def household_column(self, name: str, as_of: dt.date) -> npt.NDArray[Any]:
        if name == "per_capita_housing_area_m2":
            count = self.households["member_count"].astype(np.float64)
            with np.errstate(all="ignore"):
                return np.where(count > 0, self.households["housing_area_m2"] / count, np.nan)
        if name == "income_excluding_transfers_fen":
            total = self.households["per_capita_net_income_fen"] * self.households["member_count"]
            return np.asarray(total - self.households["transfer_income_fen"], np.int64)
        return self.households[name]

    def member_column(self, name: str, as_of: dt.date) -> npt.NDArray[Any]:
        if name == "age":
            # yyyymmdd arithmetic gives full years exactly: the birthday itself counts as reached.
            today = as_of.year * 10000 + as_of.month * 100 + as_of.day
            return np.asarray((today - (self.members >> BIRTH_SHIFT)) // 10000, np.int64)
        shift, width = MEMBER_LAYOUT[name]
        value = (self.members >> shift) & ((1 << width) - 1)
        return value.astype(bool) if MEMBER[name].kind == "bool" else value


def documented_input() -> dict[str, list[dict[str, Any]]]:
    """The input reference served by the API: every variable a rule may use."""

    def describe(field: InputField, prefix: str) -> dict[str, Any]:
        return {
            "name": f"{prefix}.{field.name}",
            "type": field.kind,
            "values": list(field.vocabulary),
            "default": None if field.kind == "float" or not field.stored else field.default,
            "label_zh": field.label_zh,
            "label_en": field.label_en,
        }

    return {
        "household": [describe(field, "household") for field in HOUSEHOLD_FIELDS],
        "member": [describe(field, "m") for field in MEMBER_FIELDS],
    }
