"""Catalogue rules: programs as data; a region's numbers overlay its parents' (national → county).

For each level of the region (national, province, city, county, township, village) the latest
version in force on the date applies, and more specific levels overlay less specific ones key by key,
so a county that changes one cap inherits every other number.
"""

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import record_audit
from services.kit.auth import Principal
from services.kit.errors import Conflict, Forbidden, NotFound
from services.kit.regions import LEVEL_LENGTHS, NATIONAL
from services.subsidy.catalogue import repository
from services.subsidy.models import AuditRecord, Scheme, SchemeParameters
from services.subsidy.schemas import ParametersCreate, ParametersOut, SchemeOut

SHIPPED = Path(__file__).parent / "shipped" / "programs.yaml"


@dataclass(frozen=True)
class Rules:
    """A scheme and the numbers in force for one region on one date."""

    scheme: Scheme
    values: dict[str, Any] = field(default_factory=dict)
    region_code: str | None = None
    effective_from: dt.date | None = None

    def number(self, key: str) -> int | None:
        value = self.values.get(key)
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    def require(self, key: str) -> int:
        value = self.number(key)
        if value is None:
            raise Conflict(
                f"Scheme {self.scheme.code} has no parameter {key} for this region.",
                f"项目 {self.scheme.name_zh} 缺少参数 {key}。",
                code="parameter_missing",
            )
        return value


def region_chain(region_code: str) -> list[str]:
    """The region and its parents as 12-digit codes, least specific first."""
    chain = [NATIONAL]
    for length in LEVEL_LENGTHS:
        code = region_code[:length].ljust(12, "0")
        if code not in chain:
            chain.append(code)
    return chain


async def rules_for(session: AsyncSession, scheme_code: str, region_code: str, on: dt.date) -> Rules:
    scheme = await repository.get_scheme(session, scheme_code)
    if scheme is None:
        raise NotFound(f"Scheme {scheme_code} not found.", "未找到该目录项目。")
    chain = region_chain(region_code)
    versions = await repository.parameter_versions(session, scheme_code, chain, on)
    latest: dict[str, SchemeParameters] = {}
    for version in versions:
        latest[version.region_code] = version
    values: dict[str, Any] = {}
    applied: SchemeParameters | None = None
    for code in chain:
        if code in latest:
            values.update(latest[code].values)
            applied = latest[code]
    return Rules(
        scheme, values, applied.region_code if applied else None, applied.effective_from if applied else None
    )


def scheme_out(rules: Rules) -> SchemeOut:
    scheme = rules.scheme
    return SchemeOut(
        code=scheme.code,
        name_zh=scheme.name_zh,
        name_en=scheme.name_en,
        kind=scheme.kind,
        payee_kind=scheme.payee_kind,
        source=scheme.source,
        description_zh=scheme.description_zh,
        eligibility=scheme.eligibility,
        required_documents=scheme.required_documents,
        parameters=rules.values,
        parameters_region=rules.region_code,
        parameters_effective_from=rules.effective_from,
    )


async def list_schemes(session: AsyncSession, region_code: str, on: dt.date) -> list[SchemeOut]:
    return [
        scheme_out(await rules_for(session, scheme.code, region_code, on))
        for scheme in await repository.list_schemes(session)
    ]


async def add_parameters(
    session: AsyncSession, scheme_code: str, body: ParametersCreate, *, actor: Principal
) -> ParametersOut:
    if await repository.get_scheme(session, scheme_code) is None:
        raise NotFound(f"Scheme {scheme_code} not found.", "未找到该目录项目。")
    if not actor.covers(body.region_code):
        raise Forbidden("The region is outside your regions.", "该地区不在您的管辖范围内。")
    conflict = Conflict(
        "A version for this region and date exists; versions are never rewritten, add a later one.",
        "该地区该日期的参数版本已存在;参数不可改写,请新增版本。",
    )
    if await repository.version_exists(session, scheme_code, body.region_code, body.effective_from):
        raise conflict
    version = SchemeParameters(
        scheme_code=scheme_code,
        region_code=body.region_code,
        effective_from=body.effective_from,
        values=body.values,
        note=body.note,
        created_by=actor.subject,
    )
    try:
        async with session.begin_nested():
            session.add(version)
            await session.flush()
    except IntegrityError as exc:
        raise conflict from exc
    record_audit(
        session,
        AuditRecord,
        actor=actor,
        action="scheme.parameters",
        entity_type="scheme",
        entity_id=scheme_code,
        detail=body.model_dump(mode="json"),
    )
    return ParametersOut.model_validate(version)


async def sync_shipped(session: AsyncSession) -> None:
    """Load the shipped catalogue: schemes and parameter versions not in the database yet."""
    document = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    for entry in document["schemes"]:
        if await repository.get_scheme(session, entry["code"]) is None:
            session.add(
                Scheme(
                    code=entry["code"],
                    name_zh=entry["name_zh"],
                    name_en=entry["name_en"],
                    kind=entry["kind"],
                    payee_kind=entry["payee_kind"],
                    source=entry["source"],
                    eligibility=entry["eligibility"],
                    required_documents=entry["required_documents"],
                    description_zh=entry.get("description_zh", ""),
                )
            )
            await session.flush()
        for version in entry["parameters"]:
            region, since = str(version["region_code"]), version["effective_from"]
            if not await repository.version_exists(session, entry["code"], region, since):
                session.add(
                    SchemeParameters(
                        scheme_code=entry["code"],
                        region_code=region,
                        effective_from=since,
                        values=version["values"],
                        note=version.get("note", ""),
                        created_by="shipped",
                    )
                )
    await session.flush()
