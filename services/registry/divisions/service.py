"""Administrative divisions (行政区划): a tree of 12-digit codes; villages carry poor and exit status."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import record_audit
from services.kit.auth import Principal
from services.kit.database import flush_or_conflict
from services.kit.errors import Conflict, FieldError, NotFound, Unprocessable
from services.kit.regions import LEVEL_LENGTHS, level_of, region_prefix
from services.registry.concurrency import ensure_current
from services.registry.divisions import repository
from services.registry.models import AuditRecord, Division
from services.registry.schemas import (
    DivisionIn,
    DivisionOut,
    DivisionRevise,
    DivisionsLoad,
    DivisionsLoaded,
    DivisionTreeOut,
)
from services.registry.vocabulary import PoorVillageKind

NOT_FOUND = ("Division not found.", "未找到该行政区划。")
FIELDS = ("name", "poor_village", "exited", "exit_year", "collective_income_fen", "first_secretary", "groups")


def parent_of(code: str) -> str | None:
    """The division one level up: 522627101201 (village) → 522627101000 (township); provinces have none."""
    significant = len(region_prefix(code))
    if significant <= LEVEL_LENGTHS[0]:
        return None
    parent_length = LEVEL_LENGTHS[LEVEL_LENGTHS.index(significant) - 1]
    return code[:parent_length].ljust(12, "0")


def is_village(code: str) -> bool:
    """A 12-digit code naming a village (行政村), not a township above it nor the whole country."""
    return len(region_prefix(code)) == LEVEL_LENGTHS[-1]


def division_out(division: Division) -> DivisionOut:
    return DivisionOut(
        code=division.code,
        name=division.name,
        level=division.level,
        parent_code=division.parent_code,
        poor_village=division.poor_village,
        poor_village_label=PoorVillageKind(division.poor_village).label_zh if division.poor_village else None,
        exited=division.exited,
        exit_status_label="已出列"
        if division.exited
        else ("未出列" if division.poor_village else "非贫困村"),
        exit_year=division.exit_year,
        collective_income_fen=division.collective_income_fen,
        first_secretary=division.first_secretary,
        groups=list(division.groups or []),
        version=division.version,
    )


def _check(entry: DivisionIn, position: int, principal: Principal) -> list[FieldError]:
    problems = []
    loc: list[str | int] = ["body", "divisions", position]
    if region_prefix(entry.code) == "":
        problems.append(
            FieldError(loc=[*loc, "code"], message="not a division", message_zh="不是有效的区划代码")
        )
    elif not principal.covers(entry.code):
        problems.append(
            FieldError(loc=[*loc, "code"], message="outside your regions", message_zh="不在您的管辖范围内")
        )
    elif not is_village(entry.code) and (entry.poor_village or entry.exited or entry.groups):
        problems.append(
            FieldError(
                loc=[*loc, "poor_village"],
                message="poor-village flags and groups belong to villages",
                message_zh="贫困村标识和村民小组只适用于行政村",
            )
        )
    return problems


async def load(session: AsyncSession, body: DivisionsLoad, *, principal: Principal) -> DivisionsLoaded:
    """Create or update every division of the load in one transaction; any bad entry refuses the whole."""
    problems = [problem for n, entry in enumerate(body.divisions) for problem in _check(entry, n, principal)]
    codes = [entry.code for entry in body.divisions]
    if len(set(codes)) != len(codes):
        problems.append(
            FieldError(loc=["body", "divisions"], message="a code appears twice", message_zh="区划代码重复")
        )
    if problems:
        raise Unprocessable("Some divisions are not valid.", "部分行政区划数据有误。", fields=problems)
    existing = await repository.by_codes(session, codes)
    created = updated = 0
    for entry in body.divisions:
        values = {name: getattr(entry, name) for name in FIELDS}
        values["poor_village"] = entry.poor_village.value if entry.poor_village else None
        division = existing.get(entry.code)
        if division is None:
            session.add(
                Division(
                    code=entry.code, level=level_of(entry.code), parent_code=parent_of(entry.code), **values
                )
            )
            created += 1
        elif any(getattr(division, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(division, name, value)
            division.version += 1
            updated += 1
    concurrent_load = Conflict(
        "Another load created some of these divisions at the same time; retry.",
        "其他用户正在同时导入相同的行政区划,请重试。",
        code="division_exists",
    )
    await flush_or_conflict(session, concurrent_load)
    record_audit(
        session,
        AuditRecord,
        actor=principal,
        action="divisions.load",
        entity_type="division",
        entity_id=min(codes),
        reason="导入行政区划",
        detail={"created": created, "updated": updated, "codes": len(codes)},
    )
    return DivisionsLoaded(created=created, updated=updated)


def _visible(principal: Principal, code: str) -> bool:
    """In one's regions, or above them on the way down to them (a township reviewer sees its county)."""
    return principal.covers(code) or any(
        prefix.startswith(region_prefix(code)) for prefix in principal.region_prefixes()
    )


async def tree(session: AsyncSession, code: str, *, principal: Principal) -> DivisionTreeOut:
    division = await repository.get(session, code)
    if division is None or not _visible(principal, code):
        raise NotFound(*NOT_FOUND)
    children = [
        division_out(child)
        for child in await repository.children(session, code)
        if _visible(principal, child.code)
    ]
    return DivisionTreeOut(**division_out(division).model_dump(), children=children)


async def revise(
    session: AsyncSession, code: str, body: DivisionRevise, *, principal: Principal
) -> DivisionOut:
    division = await repository.get(session, code, for_update=True)
    if division is None or not principal.covers(code):
        raise NotFound(*NOT_FOUND)
    ensure_current(division, body.base_version, what="division", what_zh="行政区划")
    changed = []
    for name in FIELDS:
        if name in body.model_fields_set:
            value = getattr(body, name)
            value = value.value if isinstance(value, PoorVillageKind) else value
            if name in ("poor_village", "exited", "groups") and division.level != "village" and value:
                raise Unprocessable(
                    "Poor-village flags and groups belong to villages.",
                    "贫困村标识和村民小组只适用于行政村。",
                )
            if getattr(division, name) != value:
                setattr(division, name, value)
                changed.append(name)
    division.version += 1
    record_audit(
        session,
        AuditRecord,
        actor=principal,
        action="division.revise",
        entity_type="division",
        entity_id=code,
        reason=body.reason,
        detail={"version": division.version, "changed": changed},
    )
    return division_out(division)
