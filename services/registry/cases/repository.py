"""Queries on cases and their steps, within the caller's regions."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.regions import region_filter
from services.registry.models import Case, CaseStep


async def get(
    session: AsyncSession, case_id: uuid.UUID, prefixes: tuple[str, ...], *, for_update: bool = False
) -> Case | None:
    stmt = select(Case).where(Case.id == case_id, region_filter(Case.village_code, prefixes))
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def steps(session: AsyncSession, case_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[CaseStep]]:
    result = await session.execute(select(CaseStep).where(CaseStep.case_id.in_(case_ids)))
    grouped: dict[uuid.UUID, list[CaseStep]] = {case_id: [] for case_id in case_ids}
    for step in sorted(result.scalars().all(), key=lambda s: (s.data["case_version"], s.acted_at)):
        grouped[step.case_id].append(step)
    return grouped


async def waiting(
    session: AsyncSession, village_code: str, kind: str, step: str, *, for_update: bool = True
) -> Sequence[Case]:
    """Open cases of a village waiting at a step and not yet on a notice, oldest first, locked."""
    stmt = (
        select(Case)
        .where(
            Case.village_code == village_code,
            Case.kind == kind,
            Case.step == step,
            Case.status == "open",
            Case.notice_id.is_(None),
        )
        .order_by(Case.opened_at, Case.id)
    )
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalars().all()


async def on_notice(session: AsyncSession, notice_id: uuid.UUID) -> Sequence[Case]:
    result = await session.execute(
        select(Case).where(Case.notice_id == notice_id, Case.status == "open").with_for_update()
    )
    return result.scalars().all()


async def listing(
    session: AsyncSession,
    prefixes: tuple[str, ...],
    *,
    village_code: str | None,
    kind: str | None,
    status: str | None,
    step: str | None,
    limit: int,
    offset: int,
) -> Sequence[Case]:
    stmt = select(Case).where(region_filter(Case.village_code, prefixes))
    if village_code is not None:
        stmt = stmt.where(Case.village_code == village_code)
    if kind is not None:
        stmt = stmt.where(Case.kind == kind)
    if status is not None:
        stmt = stmt.where(Case.status == status)
    if step is not None:
        stmt = stmt.where(Case.step == step)
    result = await session.execute(stmt.order_by(Case.opened_at, Case.id).limit(limit).offset(offset))
    return result.scalars().all()
