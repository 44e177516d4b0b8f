"""Household import (档案导入): each household checked on its own, the valid ones written set-based.

A household's id derives from its head's ID number (keyed hash), and each member's from the household
and the member's ID number, so the same file imported again finds what it wrote and changes nothing.
Each new household gets what one created by a survey gets: version 1 with its snapshot, an audit
record, a `household.changed` event, and its status in the status history.
"""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, TypeVar, cast

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import record_audits
from services.kit.auth import Principal
from services.kit.database import utcnow
from services.kit.errors import Conflict, Unprocessable
from services.kit.outbox import publish_many
from services.kit.regions import is_division_code
from services.registry import contract
from services.registry.divisions.service import is_village
from services.registry.households import history
from services.registry.households import repository as households
from services.registry.households.identity import InvalidIdNumber, PiiVault, id_number_facts, mask_id_number
from services.registry.households.service import (
    flag_likely_duplicates,
    household_changed,
    mask_account,
    per_capita_net_income,
    validated_members,
)
from services.registry.imports import cells, repository
from services.registry.imports.schemas import (
    ImportHousehold,
    ImportMember,
    ImportOutcome,
    ImportProblem,
    ImportRequest,
    ImportResult,
)
from services.registry.models import (
    AuditRecord,
    Household,
    HouseholdStatusChange,
    HouseholdVersion,
    Member,
    OutboxEvent,
)
from services.registry.schemas import BankAccountIn, HouseholdProfileIn, IncomeIn, MemberIn
from services.registry.vocabulary import (
    Health,
    HouseholdCategory,
    HouseholdStatus,
    LabourCapacity,
    PovertyCause,
    PovertyDegree,
    Relation,
    SafetyGrade,
    SchoolingStage,
    Sex,
    WorkLocation,
)

NAMESPACE = uuid.UUID("5b0c6f4e-2f61-4c1e-9a8e-4f1d2c3b6a70")
ACTION = "household.import"
REASON = "导入建档立卡档案"
POOR_STATUSES = (HouseholdStatus.REGISTERED, HouseholdStatus.EXITED)
INCOME_FIELDS = ("wages", "production_net", "property", "transfer", "production_cost")
PER_CAPITA_TOLERANCE_FEN = 100
ERROR_TYPES_ZH = {
    "string_too_long": "过长",
    "string_too_short": "不能为空",
    "string_pattern_mismatch": "格式不正确",
    "greater_than_equal": "超出允许范围",
    "less_than_equal": "超出允许范围",
    "too_long": "数量过多",
    "decimal_max_places": "小数位数过多",
    "decimal_max_digits": "位数过多",
    "missing": "不能为空",
}


M = TypeVar("M", bound=BaseModel)


class Rejected(Exception):
    """The household cannot be imported; its problems say why."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


@dataclass
class Prepared:
    """A valid household ready to write: its rows as they will be stored, read like the models by the
    snapshot and event code (no ORM instances: an import builds hundreds of thousands), and its file."""

    row: int
    household_row: dict[str, Any]
    member_rows: list[dict[str, Any]]
    indexes: list[str]

    def __post_init__(self) -> None:
        self.household = cast(Household, SimpleNamespace(**self.household_row))
        self.members = [cast(Member, SimpleNamespace(**row)) for row in self.member_rows]
        self.snapshot = history.snapshot(self.household, self.members)


def _label(model: type[BaseModel], field: str) -> str:
    """The column's Chinese name, from the field's description (姓名, 身份证号码…)."""
    info = model.model_fields.get(field)
    description = info.description if info is not None else None
    return (description or field).split(" (")[0].split(",")[0]


def _problem(model: type[BaseModel], row: int, field: str, message: str, message_zh: str) -> ImportProblem:
    return ImportProblem(
        row=row, field=field, message=message, message_zh=f"{_label(model, field)}:{message_zh}"
    )


class _Reader:
    """Reads the cells of one row, collecting every problem instead of stopping at the first."""

    def __init__(self, model: type[BaseModel], source: BaseModel, row: int) -> None:
        self.model, self.source, self.row = model, source, row
        self.problems: list[ImportProblem] = []

    def read(self, field: str, parse: Callable[[cells.Cell], Any]) -> Any:
        try:
            return parse(getattr(self.source, field))
        except cells.CellError as exc:
            self.problems.append(_problem(self.model, self.row, field, str(exc), exc.message_zh))
            return None

    def validated(self, target: type[M], values: dict[str, Any], fields: dict[str, str]) -> M | None:
        """`target` from `values`; its errors named by this row's columns (`fields`: target → column)."""
        try:
            return target.model_validate(values)
        except ValidationError as exc:
            for error in exc.errors():
                first = str(error["loc"][0]) if error["loc"] else ""
                name = fields.get(first) or next(iter(fields.values()))
                self.problems.append(
                    _problem(
                        self.model,
                        self.row,
                        name,
                        error["msg"],
                        ERROR_TYPES_ZH.get(error["type"], f"不符合要求({error['msg']})"),
                    )
                )
            return None


def _member_in(member: ImportMember) -> tuple[MemberIn | None, list[ImportProblem]]:
    reader = _Reader(ImportMember, member, member.row)
    id_number = reader.read("id_number", cells.text)
    sex = reader.read("sex", lambda cell: cells.code(cell, Sex))
    birth_date = reader.read("birth_date", cells.date)
    if id_number is not None and (sex is None or birth_date is None):
        try:
            _normalised, id_birth_date, id_sex = id_number_facts(id_number)
            sex, birth_date = sex or id_sex, birth_date or id_birth_date
        except InvalidIdNumber as exc:
            reader.problems.append(_problem(ImportMember, member.row, "id_number", str(exc), exc.message_zh))
    values = {
        "name": reader.read("name", cells.text),
        "id_number": (id_number or "").upper(),
        "sex": sex,
        "birth_date": birth_date,
        "relation": reader.read("relation", lambda cell: cells.code(cell, Relation)),
        "labour_capacity": reader.read("labour_capacity", lambda cell: cells.code(cell, LabourCapacity))
        or LabourCapacity.NORMAL,
        "health": reader.read("health", lambda cell: cells.code(cell, Health)),
        "schooling_stage": reader.read("schooling_stage", lambda cell: cells.code(cell, SchoolingStage)),
        "work_location": reader.read("work_location", lambda cell: cells.code(cell, WorkLocation)),
        "months_worked": reader.read("months_worked", cells.integer),
        "medical_insurance": reader.read("medical_insurance", cells.boolean),
    }
    if reader.problems:
        return None, reader.problems
    fields = {name: name for name in values}
    return reader.validated(
        MemberIn, {k: v for k, v in values.items() if v is not None}, fields
    ), reader.problems


def _members(entry: ImportHousehold) -> tuple[list[MemberIn], list[str]]:
    """The members, valid one by one and together (one head, no number twice), and their ID numbers."""
    parsed = [_member_in(member) for member in entry.members]
    problems = [problem for _member, found in parsed for problem in found]
    members = [member for member, _found in parsed if member is not None]
    if problems:
        raise Rejected(problems)
    try:
        return members, validated_members(members)
    except Unprocessable as exc:
        for error in exc.fields or []:
            position = error.loc[2] if len(error.loc) > 2 else None
            row = entry.members[position].row if isinstance(position, int) else entry.row
            field = "id_number" if isinstance(position, int) else "relation"
            problems.append(
                _problem(ImportMember, row, field, error.message, error.message_zh or error.message)
            )
        raise Rejected(problems) from exc


def _household_values(
    entry: ImportHousehold, members: list[MemberIn], principal: Principal
) -> dict[str, Any]:
    """The household's own columns as stored values; Rejected with every problem otherwise."""
    reader = _Reader(ImportHousehold, entry, entry.row)
    village = reader.read("village_code", cells.text)
    if village is None or not (is_division_code(village) and is_village(village)):
        reader.problems.append(
            _problem(
                ImportHousehold, entry.row, "village_code", "not a village code", "不是有效的行政村代码(12位)"
            )
        )
    elif not principal.covers(village):
        reader.problems.append(
            _problem(ImportHousehold, entry.row, "village_code", "outside your regions", "不在您的管辖范围内")
        )
    head = next(member for member in members if member.relation is Relation.HEAD)
    head_name = reader.read("head_name", cells.text)
    if head_name is not None and head_name != head.name:
        reader.problems.append(
            _problem(
                ImportHousehold,
                entry.row,
                "head_name",
                "differs from the name on the head's row",
                f"「{head_name}」与户主成员行的姓名「{head.name}」不一致",
            )
        )
    amounts = {name: reader.read(f"{name}_yuan", cells.yuan) for name in INCOME_FIELDS}
    stated_per_capita = reader.read("per_capita_net_income_yuan", cells.yuan)
    status = (
        reader.read("status", lambda cell: cells.code(cell, HouseholdStatus)) or HouseholdStatus.REGISTERED
    )
    category = reader.read("category", lambda cell: cells.code(cell, HouseholdCategory)) or (
        HouseholdCategory.GENERAL_POOR if status in POOR_STATUSES else HouseholdCategory.NOT_POOR
    )
    exit_year = reader.read("exit_year", cells.integer)
    if exit_year is not None and not 2014 <= exit_year <= 2100:
        reader.problems.append(
            _problem(ImportHousehold, entry.row, "exit_year", "not a year", "不是有效年度")
        )
    profile_values = {
        "group_name": reader.read("group_name", cells.text),
        "poverty_degree": reader.read("poverty_degree", lambda cell: cells.code(cell, PovertyDegree)),
        "main_cause": reader.read("main_cause", lambda cell: cells.code(cell, PovertyCause)),
        "secondary_causes": reader.read("secondary_causes", lambda cell: cells.codes(cell, PovertyCause)),
    }
    area = reader.read("housing_area_m2", cells.number)
    if area is not None and (area > 10_000 or area != area.quantize(Decimal("0.01"))):
        reader.problems.append(
            _problem(
                ImportHousehold, entry.row, "housing_area_m2", "out of range", "超出允许范围或小数位数过多"
            )
        )
    housing = {
        "housing_structure": reader.read("housing_structure", cells.text),
        "housing_area_m2": area,
        "housing_safety_grade": reader.read(
            "housing_safety_grade", lambda cell: cells.code(cell, SafetyGrade)
        ),
        "drinking_water_safe": reader.read("drinking_water_safe", cells.boolean),
    }
    if housing["housing_structure"] is not None and len(housing["housing_structure"]) > 32:
        reader.problems.append(_problem(ImportHousehold, entry.row, "housing_structure", "too long", "过长"))
    bank_name, account = reader.read("bank_name", cells.text), reader.read("bank_account", cells.text)
    if (bank_name is None) != (account is None):
        reader.problems.append(
            _problem(
                ImportHousehold,
                entry.row,
                "bank_account",
                "bank and account go together",
                "开户银行与账号须同时填写",
            )
        )
    income = reader.validated(
        IncomeIn, {f"{name}_fen": value or 0 for name, value in amounts.items()}, {"wages_fen": "wages_yuan"}
    )
    profile = reader.validated(
        HouseholdProfileIn,
        {name: value for name, value in profile_values.items() if value is not None},
        {name: name for name in profile_values} | {"": "secondary_causes"},
    )
    bank = (
        reader.validated(
            BankAccountIn,
            {"bank_name": bank_name, "account_number": account},
            {"bank_name": "bank_name", "account_number": "bank_account"},
        )
        if bank_name is not None and account is not None
        else None
    )
    per_capita = stated_per_capita or 0
    if income is not None and any(value is not None for value in amounts.values()):
        per_capita = per_capita_net_income(income, len(members))
        if stated_per_capita is not None and abs(per_capita - stated_per_capita) > PER_CAPITA_TOLERANCE_FEN:
            reader.problems.append(
                _problem(
                    ImportHousehold,
                    entry.row,
                    "per_capita_net_income_yuan",
                    f"differs from the incomes ({per_capita / 100:.2f} yuan a person)",
                    f"与各项收入计算所得({per_capita / 100:.2f} 元)不符",
                )
            )
    if reader.problems or income is None or profile is None:
        raise Rejected(reader.problems)
    return {
        "village_code": village,
        "status": status.value,
        "category": category.value,
        "head_name": head.name,
        "member_count": len(members),
        **income.model_dump(),
        "per_capita_net_income_fen": per_capita,
        **housing,
        "bank_name": bank.bank_name if bank else None,
        "bank_account_masked": mask_account(bank.account_number) if bank else None,
        "bank_account_number": bank.account_number if bank else None,
        "group_name": profile.group_name,
        "poverty_degree": profile.poverty_degree.value if profile.poverty_degree else None,
        "main_cause": profile.main_cause.value if profile.main_cause else None,
        "secondary_causes": [cause.value for cause in profile.secondary_causes or []],
        "dibao_allowance_fen": 0,
        "food_clothing_secure": None,
        "education_secured": None,
        "medical_secured": None,
        "housing_secured": None,
        "relocated": False,
        "registered_on": None,
        "exit_year": exit_year,
        "exited_on": None,
        "grace_ends_on": None,
    }


def _prepare(entry: ImportHousehold, principal: Principal, vault: PiiVault) -> Prepared:
    """The household and members as they will be stored (ids derived from the ID numbers)."""
    members_in, numbers = _members(entry)
    values = _household_values(entry, members_in, principal)
    account = values.pop("bank_account_number")
    indexes = [vault.blind_index(number) for number in numbers]
    head_index = next(
        index for member, index in zip(members_in, indexes, strict=True) if member.relation is Relation.HEAD
    )
    now = utcnow()
    household_id = uuid.uuid5(NAMESPACE, head_index)
    household = {
        "id": household_id,
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "bank_account_cipher": vault.encrypt(account) if account else None,
        **values,
    }
    members: list[dict[str, Any]] = [
        {
            "id": uuid.uuid5(household_id, index),
            "household_id": household_id,
            "name": member.name,
            "id_number_cipher": vault.encrypt(number),
            "id_number_index": index,
            "id_number_masked": mask_id_number(number),
            "sex": member.sex.value,
            "birth_date": member.birth_date,
            "relation": member.relation.value,
            "labour_capacity": member.labour_capacity.value,
            "active": True,
            "labour_willing": None,
            "health": member.health.value if member.health else None,
            "disability_grade": None,
            "schooling_stage": member.schooling_stage.value if member.schooling_stage else None,
            "dropout": False,
            "medical_insurance": member.medical_insurance,
            "pension_insurance": None,
            "skills": [],
            "work_location": member.work_location.value if member.work_location else None,
            "months_worked": member.months_worked,
            "public_welfare_job": False,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        for member, number, index in zip(members_in, numbers, indexes, strict=True)
    ]
    return Prepared(entry.row, household, members, indexes)


def _elsewhere(
    prepared: Prepared,
    entry: ImportHousehold,
    holders: dict[str, tuple[uuid.UUID, str]],
    principal: Principal,
) -> list[ImportProblem]:
    """A member already active in another household (named only within the caller's regions)."""
    problems = []
    for member, index in zip(entry.members, prepared.indexes, strict=True):
        holder = holders.get(index)
        if holder is None or holder[0] == prepared.household.id:
            continue
        household_id, village = holder
        problems.append(
            _problem(
                ImportMember,
                member.row,
                "id_number",
                f"already an active member of household {household_id}"
                if principal.covers(village)
                else "already an active member of a household outside your regions",
                f"该成员已登记在户 {household_id} 中"
                if principal.covers(village)
                else "该成员已登记在您管辖范围以外的其他户中",
            )
        )
    return problems


async def import_households(
    session: AsyncSession, body: ImportRequest, *, principal: Principal, vault: PiiVault
) -> ImportResult:
    """Check every household on its own; create the valid new ones unless `dry_run`."""
    outcomes: list[ImportOutcome] = []
    ready: list[tuple[int, Prepared]] = []
    for entry in body.households:
        try:
            ready.append((len(outcomes), _prepare(entry, principal, vault)))
            outcomes.append(ImportOutcome(row=entry.row, status="created"))
        except Rejected as exc:
            outcomes.append(ImportOutcome(row=entry.row, status="rejected", problems=exc.problems))
    holders = {
        index: (household_id, village)
        for index, household_id, village in await households.active_member_households(
            session, [index for _position, prepared in ready for index in prepared.indexes]
        )
    }
    imported = await repository.first_snapshots(session, [prepared.household.id for _p, prepared in ready])
    seen: set[str] = set()
    new: list[Prepared] = []
    for position, prepared in ready:
        entry, outcome = body.households[position], outcomes[position]
        outcome.household_id = prepared.household.id
        problems = _elsewhere(prepared, entry, holders, principal) + [
            _problem(
                ImportMember,
                member.row,
                "id_number",
                "appears in an earlier household",
                "在本次导入的其他户中已出现",
            )
            for member, index in zip(entry.members, prepared.indexes, strict=True)
            if index in seen
        ]
        seen.update(prepared.indexes)
        if prepared.household.id in imported and not problems:
            if imported[prepared.household.id] == prepared.snapshot:
                outcome.status = "unchanged"
                continue
            problems.append(
                ImportProblem(
                    row=entry.row,
                    field=None,
                    message="already imported with other content; correct it in the household's file",
                    message_zh="该户已导入,文件内容与导入时不同;请通过档案修改更正",
                )
            )
        if problems:
            outcome.status, outcome.problems, outcome.household_id = "rejected", problems, None
            continue
        new.append(prepared)
    if not body.dry_run:
        await _write(session, new, principal)
    return ImportResult(
        dry_run=body.dry_run,
        created=sum(outcome.status == "created" for outcome in outcomes),
        unchanged=sum(outcome.status == "unchanged" for outcome in outcomes),
        rejected=sum(outcome.status == "rejected" for outcome in outcomes),
        items=outcomes,
    )


async def _write(session: AsyncSession, new: Sequence[Prepared], principal: Principal) -> None:
    """Households, members, version 1, status history, audit records and events: one bulk insert each;
    then the members' likely duplicates flagged for review."""
    if not new:
        return
    now = utcnow()
    versions, audits = [], []
    for prepared in new:
        changed = [change.path for change in history.diff(None, prepared.snapshot)]
        versions.append(
            {
                "household_id": prepared.household.id,
                "version": 1,
                "recorded_at": now,
                "author": principal.subject,
                "author_name": principal.name,
                "action": ACTION,
                "reason": REASON,
                "changed": changed,
                "snapshot": prepared.snapshot,
            }
        )
        audits.append((str(prepared.household.id), {"version": 1, "changed": changed, "row": prepared.row}))
    try:
        async with session.begin_nested():
            await repository.insert_rows(session, Household, [p.household_row for p in new])
            await repository.insert_rows(session, Member, [row for p in new for row in p.member_rows])
    except IntegrityError as exc:
        raise Conflict(
            "Some of these households or members were written by someone else at the same time; send again.",
            "部分农户或成员刚被他人同时写入,请重新提交本批数据。",
            code="import_conflict",
        ) from exc
    # Namesakes (same name and birth date in the county) go to duplicate review, as a survey's do.
    await flag_likely_duplicates(session, [p.household.id for p in new])
    await repository.insert_rows(session, HouseholdVersion, versions)
    await repository.insert_rows(
        session,
        HouseholdStatusChange,
        [
            {
                "id": uuid.uuid4(),
                "household_id": p.household.id,
                "household_version": 1,
                "from_status": None,
                "to_status": p.household.status,
                "changed_at": now,
                "changed_by": principal.subject,
                "reason": REASON,
                "case_id": None,
            }
            for p in new
        ],
    )
    await record_audits(
        session,
        AuditRecord,
        actor=principal,
        action=ACTION,
        entity_type="household",
        reason=REASON,
        entries=audits,
    )
    await publish_many(
        session,
        OutboxEvent,
        contract.HOUSEHOLD_CHANGED,
        [
            (
                str(p.household.id),
                household_changed(p.household, p.members).model_dump(mode="json"),
            )
            for p in new
        ],
    )
