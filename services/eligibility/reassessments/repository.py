"""Set-based reads and writes of bulk runs: the projection in chunks, assessments by COPY on PostgreSQL.

On PostgreSQL the chunk is read and written over the session's own asyncpg connection (inside the
session's transaction): COPY for assessments and events, a staged upsert for current outcomes.
SQLite (the embedded mode, small counties) takes the same rows through SQLAlchemy Core.
"""

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility.models import (
    Assessment,
    CurrentAssessment,
    HouseholdInput,
    OutboxEvent,
    ReassessmentRun,
)
from services.kit.observability import current_request_id
from services.kit.regions import region_bounds, region_filter, region_prefix

ASSESSMENT_COLUMNS = (
    "id",
    "household_id",
    "household_version",
    "village_code",
    "policy_id",
    "policy_code",
    "policy_version",
    "as_of",
    "inputs_hash",
    "category",
    "poor",
    "degree",
    "extreme_poverty",
    "exit_ready",
    "score_x100",
    "details",
    "run_id",
    "assessed_at",
)
CURRENT_COLUMNS = (
    "household_id",
    "assessment_id",
    "household_version",
    "village_code",
    "policy_id",
    "as_of",
    "outcome_key",
    "category",
    "poor",
    "score_x100",
)


EventRow = tuple[str, str, str, str, Any]
"""An event to add: id, type, key, payload as JSON text, time."""


@dataclass
class Chunk:
    """Households in id order after a cursor, with their current assessment (None where there is none)."""

    household_ids: list[uuid.UUID]
    versions: list[int]
    villages: list[str]
    hashes: list[str]
    layouts: list[int]
    household_records: list[bytes]
    member_records: list[bytes]
    current_versions: list[int | None]
    current_policies: list[uuid.UUID | None]
    current_dates: list[Any]
    current_keys: list[str | None]

    def __len__(self) -> int:
        return len(self.household_ids)


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def _driver(session: AsyncSession) -> Any:
    """The asyncpg connection under the session, in the session's transaction."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection


async def count_households(session: AsyncSession, region_code: str) -> int:
    prefixes = (region_prefix(region_code),)
    total = await session.scalar(
        select(func.count())
        .select_from(HouseholdInput)
        .where(region_filter(HouseholdInput.village_code, prefixes))
    )
    return int(total or 0)


async def lock_run(session: AsyncSession, run_id: uuid.UUID) -> ReassessmentRun | None:
    """The run, locked for this chunk; None when another worker holds it (PostgreSQL: SKIP LOCKED)."""
    statement = select(ReassessmentRun).where(ReassessmentRun.id == run_id)
    if _is_postgres(session):
        statement = statement.with_for_update(skip_locked=True)
    return (await session.execute(statement)).scalar_one_or_none()


async def next_run(session: AsyncSession, statuses: Sequence[str]) -> uuid.UUID | None:
    return await session.scalar(
        select(ReassessmentRun.id)
        .where(ReassessmentRun.status.in_(statuses))
        .order_by(ReassessmentRun.created_at)
        .limit(1)
    )


async def read_chunk(session: AsyncSession, region_code: str, after: uuid.UUID | None, size: int) -> Chunk:
    prefix = region_prefix(region_code)
    if _is_postgres(session):
        low, high = region_bounds(prefix)
        rows = await (await _driver(session)).fetch(
            "SELECT h.household_id, h.household_version, h.village_code, h.inputs_hash, h.layout_version,"
            " h.household_record, h.member_records, c.household_version, c.policy_id, c.as_of, c.outcome_key"
            " FROM household_inputs h LEFT JOIN current_assessments c ON c.household_id = h.household_id"
            " WHERE h.household_id > $1 AND h.village_code BETWEEN $2 AND $3"
            " ORDER BY h.household_id LIMIT $4",
            after or uuid.UUID(int=0),
            low,
            high,
            size,
        )
    else:
        statement = (
            select(
                HouseholdInput.household_id,
                HouseholdInput.household_version,
                HouseholdInput.village_code,
                HouseholdInput.inputs_hash,
                HouseholdInput.layout_version,
                HouseholdInput.household_record,
                HouseholdInput.member_records,
                CurrentAssessment.household_version,
                CurrentAssessment.policy_id,
                CurrentAssessment.as_of,
                CurrentAssessment.outcome_key,
            )
            .outerjoin(CurrentAssessment, CurrentAssessment.household_id == HouseholdInput.household_id)
            .where(region_filter(HouseholdInput.village_code, (prefix,)))
            .order_by(HouseholdInput.household_id)
            .limit(size)
        )
        if after is not None:
            statement = statement.where(HouseholdInput.household_id > after)
        rows = [tuple(row) for row in await session.execute(statement)]
    columns: list[list[Any]] = [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * 11
    return Chunk(*columns)


async def write(
    session: AsyncSession,
    schema: str,
    assessments: list[tuple[Any, ...]],
    currents: list[tuple[Any, ...]],
    replaced: list[tuple[Any, ...]],
    events: list[EventRow],
) -> None:
    """Insert assessments, insert (`currents`) or replace (`replaced`) current outcomes, add events.

    Ids may be given as text (the bulk path makes them without building UUID objects).
    """
    if _is_postgres(session):
        driver = await _driver(session)
        if assessments:
            await driver.copy_records_to_table(
                "assessments", records=assessments, columns=ASSESSMENT_COLUMNS, schema_name=schema
            )
        if currents:
            await driver.copy_records_to_table(
                "current_assessments", records=currents, columns=CURRENT_COLUMNS, schema_name=schema
            )
        if replaced:
            await driver.execute(
                "CREATE TEMP TABLE IF NOT EXISTS current_stage"
                " (LIKE current_assessments INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
            )
            await driver.copy_records_to_table("current_stage", records=replaced, columns=CURRENT_COLUMNS)
            assignments = ", ".join(f"{column} = EXCLUDED.{column}" for column in CURRENT_COLUMNS[1:])
            await driver.execute(
                f"INSERT INTO current_assessments ({', '.join(CURRENT_COLUMNS)})"  # noqa: S608  (fixed names)
                f" SELECT {', '.join(CURRENT_COLUMNS)} FROM current_stage"
                f" ON CONFLICT (household_id) DO UPDATE SET {assignments}"
            )
        if events:
            request_id = current_request_id()
            await driver.copy_records_to_table(
                "outbox_events",
                records=[(*event, request_id) for event in events],
                columns=("event_id", "type", "key", "payload", "occurred_at", "request_id"),
                schema_name=schema,
            )
        return
    if assessments:
        rows: list[dict[str, Any]] = [dict(zip(ASSESSMENT_COLUMNS, row, strict=True)) for row in assessments]
        for values in rows:
            values["id"] = _uuid(values["id"])
        await session.execute(insert(Assessment), rows)
    for outcome in currents + replaced:
        values = dict(zip(CURRENT_COLUMNS, outcome, strict=True))
        values["assessment_id"] = _uuid(values["assessment_id"])
        upsert = sqlite_insert(CurrentAssessment).values(**values)
        await session.execute(
            upsert.on_conflict_do_update(
                index_elements=["household_id"], set_={k: v for k, v in values.items() if k != "household_id"}
            )
        )
    if events:
        request_id = current_request_id()
        await session.execute(
            insert(OutboxEvent),
            [
                {
                    "event_id": _uuid(event_id),
                    "type": kind,
                    "key": key,
                    "payload": json.loads(payload),
                    "occurred_at": at,
                    "request_id": request_id,
                }
                for event_id, kind, key, payload, at in events
            ],
        )


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


async def advance(session: AsyncSession, run_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(update(ReassessmentRun).where(ReassessmentRun.id == run_id).values(**values))
