"""Queries of data-quality runs: claiming a queued run, writing findings set-based, reading reports."""

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import Select, Uuid, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.regions import region_filter, region_prefix
from services.registry.models import Household, Member, QualityFinding, QualityRun

FINDING_COLUMNS = ["household_id", "village_code", "member_id", "observed", "rule", "run_id"]


async def claim_queued(session: AsyncSession, postgres: bool) -> QualityRun | None:
    stmt = select(QualityRun).where(QualityRun.status == "queued").order_by(QualityRun.requested_at).limit(1)
    if postgres:
        stmt = stmt.with_for_update(skip_locked=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def running(session: AsyncSession) -> Sequence[QualityRun]:
    return (await session.execute(select(QualityRun).where(QualityRun.status == "running"))).scalars().all()


async def insert_findings(
    session: AsyncSession, run_id: uuid.UUID, rule: str, query: Select[*tuple[object, ...]]
) -> int:
    selected = query.add_columns(literal(rule), literal(run_id, Uuid()))
    result = await session.execute(insert(QualityFinding).from_select(FINDING_COLUMNS, selected))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def households_in(session: AsyncSession, low: str, high: str) -> int:
    result = await session.execute(select(func.count()).where(Household.village_code.between(low, high)))
    return int(result.scalar_one())


async def last_scheduled(session: AsyncSession) -> dt.datetime | None:
    result = await session.execute(
        select(func.max(QualityRun.requested_at)).where(QualityRun.trigger == "scheduled")
    )
    return result.scalar_one()


async def counties_with_households(session: AsyncSession) -> list[str]:
    result = await session.execute(select(func.substr(Household.village_code, 1, 6)).distinct())
    return sorted(row[0] + "000000" for row in result.all())


async def get(session: AsyncSession, run_id: uuid.UUID, prefixes: tuple[str, ...]) -> QualityRun | None:
    result = await session.execute(
        select(QualityRun).where(QualityRun.id == run_id, region_filter(QualityRun.region_code, prefixes))
    )
    return result.scalar_one_or_none()


async def latest_done_covering(session: AsyncSession, region_code: str) -> QualityRun | None:
    """The newest finished run whose region contains the whole region (a village, township or county)."""
    candidates = [region_code[:length].ljust(12, "0") for length in (2, 4, 6, 9, 12)] + ["000000000000"]
    result = await session.execute(
        select(QualityRun)
        .where(QualityRun.status == "done", QualityRun.region_code.in_(candidates))
        .order_by(QualityRun.finished_at.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def rule_counts(session: AsyncSession, run_id: uuid.UUID, region_code: str) -> dict[str, int]:
    """A run's findings in a region (a village, township or county) by rule."""
    result = await session.execute(
        select(QualityFinding.rule, func.count())
        .where(
            QualityFinding.run_id == run_id,
            region_filter(QualityFinding.village_code, (region_prefix(region_code),)),
        )
        .group_by(QualityFinding.rule)
    )
    return {row[0]: int(row[1]) for row in result.all()}


async def households_with_findings(session: AsyncSession, run_id: uuid.UUID, region_code: str) -> int:
    result = await session.execute(
        select(func.count(func.distinct(QualityFinding.household_id))).where(
            QualityFinding.run_id == run_id,
            region_filter(QualityFinding.village_code, (region_prefix(region_code),)),
        )
    )
    return int(result.scalar_one())


async def village_findings(
    session: AsyncSession, run_id: uuid.UUID, village_code: str
) -> Sequence[tuple[QualityFinding, str, str | None]]:
    """Findings in one village with the head's and the member's names."""
    result = await session.execute(
        select(QualityFinding, Household.head_name, Member.name)
        .join(Household, Household.id == QualityFinding.household_id)
        .outerjoin(Member, Member.id == QualityFinding.member_id)
        .where(QualityFinding.run_id == run_id, QualityFinding.village_code == village_code)
        .order_by(QualityFinding.rule, Household.head_name, QualityFinding.id)
    )
    return [(row[0], row[1], row[2]) for row in result.all()]
