"""Queries on job enrolments and the monthly payment runs."""

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.regions import region_filter
from services.subsidy.models import Enrolment, HouseholdStatus, Payment


async def list_enrolments(
    session: AsyncSession, program_id: uuid.UUID, prefixes: tuple[str, ...], limit: int
) -> Sequence[Enrolment]:
    stmt = (
        select(Enrolment)
        .where(Enrolment.program_id == program_id, region_filter(Enrolment.village_code, prefixes))
        .order_by(Enrolment.created_at)
        .limit(limit)
    )
    return (await session.execute(stmt)).scalars().all()


async def active_in(
    session: AsyncSession,
    program_id: uuid.UUID,
    first: dt.date,
    last: dt.date,
    statuses: Sequence[str],
    exited_since: int | None,
) -> tuple[list[tuple[uuid.UUID, uuid.UUID, str, int]], int]:
    """Enrolments whose contract covers part of the month: (eligible rows, count not eligible).

    Eligible means the household's registry status is one of `statuses`, or it exited in or after
    `exited_since` (the grace period). Households the registry has not told us about are not eligible.
    """
    covering = and_(
        Enrolment.program_id == program_id, Enrolment.contract_start <= last, Enrolment.contract_end >= first
    )
    status_ok: ColumnElement[bool] = HouseholdStatus.status.in_([s for s in statuses if s != "exited"])
    if exited_since is not None:
        status_ok = or_(
            status_ok, and_(HouseholdStatus.status == "exited", HouseholdStatus.exit_year >= exited_since)
        )
    stmt = (
        select(Enrolment.id, Enrolment.household_id, Enrolment.village_code, Enrolment.monthly_fen, status_ok)
        .outerjoin(HouseholdStatus, HouseholdStatus.household_id == Enrolment.household_id)
        .where(covering)
    )
    eligible, refused = [], 0
    for enrolment_id, household_id, village, amount, ok in (await session.execute(stmt)).all():
        if ok:
            eligible.append((enrolment_id, household_id, village, int(amount)))
        else:
            refused += 1
    return eligible, refused


async def insert_new_payments(
    session: AsyncSession, rows: list[dict[str, Any]]
) -> list[tuple[uuid.UUID, uuid.UUID, int]]:
    """Insert payments, skipping any whose entitlement is already live (or key already used)."""
    if not rows:
        return []
    table = cast(Table, Payment.__table__)
    make = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # One statement compiled once, sent in batches of rows (executemany with RETURNING).
    stmt = (
        make(table).on_conflict_do_nothing().returning(table.c.id, table.c.household_id, table.c.amount_fen)
    )
    result = await session.execute(stmt, rows)
    return [(row[0], row[1], int(row[2])) for row in result.all()]
