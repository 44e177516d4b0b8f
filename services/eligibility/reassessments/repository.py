"""Queries of bulk runs: on PostgreSQL a whole chunk in one statement, on SQLite the projection in chunks.

On PostgreSQL one INSERT ... SELECT reads the next households after the run's cursor, evaluates
them with the policy that applies (rules/relational.py), and writes their assessments, their
current outcomes and, for the outcomes that changed, their events, built in SQL as well: nothing
of a household passes through Python. SQLite (the embedded mode, small counties) reads the chunk
into numpy and writes the rows the runner built.
"""

import datetime as dt
import json
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    JSON,
    BigInteger,
    Date,
    DateTime,
    Double,
    FromClause,
    Numeric,
    String,
    Uuid,
    and_,
    case,
    cast,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility import contract
from services.eligibility.models import (
    Assessment,
    CurrentAssessment,
    HouseholdInput,
    OutboxEvent,
    ReassessmentLane,
    ReassessmentRun,
)
from services.eligibility.policies.engine import CompiledPolicy, Scope
from services.eligibility.rules import relational
from services.eligibility.rules.inputs import HOUSEHOLD_COLUMNS
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
WORK_MEM = "64MB"
"""Per chunk statement: the evaluated chunk is kept in memory, not spilled to disk, between its writes."""


def is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def count_households(session: AsyncSession, region_code: str) -> int:
    prefixes = (region_prefix(region_code),)
    total = await session.scalar(
        select(func.count())
        .select_from(HouseholdInput)
        .where(region_filter(HouseholdInput.village_code, prefixes))
    )
    return int(total or 0)


async def lock_run(session: AsyncSession, run_id: uuid.UUID) -> ReassessmentRun | None:
    """The run as last committed, locked until the end of the transaction (waiting for other lanes)."""
    statement = (
        select(ReassessmentRun)
        .where(ReassessmentRun.id == run_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one_or_none()


SPLIT_SAMPLE = 20_000
"""Households sampled to split a run of more than ten times as many into lanes (lanes within about 1%
of each other); a smaller run is split exactly, which is then as quick as reading the sample."""


async def split(session: AsyncSession, region_code: str, total: int, lanes: int) -> list[uuid.UUID | None]:
    """The last household id of each of `lanes` ranges of about equal size (the last one open-ended)."""
    _, in_region = _projection(region_code)
    ids = HouseholdInput.__table__.c.household_id
    if is_postgres(session) and lanes > 1 and total > 10 * SPLIT_SAMPLE:
        # Counting off half a million ids in order took a second, while the other lanes waited.
        sampled = HouseholdInput.__table__.tablesample(func.system(100.0 * SPLIT_SAMPLE / total))
        fractions = [lane / lanes for lane in range(1, lanes)]
        quantiles = await session.scalar(
            select(
                func.percentile_disc(literal(fractions, ARRAY(Double())), type_=ARRAY(Uuid())).within_group(
                    sampled.c.household_id
                )
            ).where(sampled.c.village_code.between(*region_bounds(region_prefix(region_code))))
        )
        if quantiles:
            return [*dict.fromkeys(quantiles), None]
    bounds: list[uuid.UUID | None] = []
    for lane in range(1, lanes):
        before = total * lane // lanes
        if before == 0:
            continue
        bound = await session.scalar(select(ids).where(in_region).order_by(ids).offset(before - 1).limit(1))
        if bound is not None and bound not in bounds:
            bounds.append(bound)
    return [*bounds, None]


def add_lanes(session: AsyncSession, run_id: uuid.UUID, bounds: Sequence[uuid.UUID | None]) -> None:
    """A lane per range: each starts after the previous one's last id."""
    starts = [None, *bounds[:-1]]
    session.add_all(
        ReassessmentLane(run_id=run_id, lane=number, upto=upto, resume_after=start, finished=False)
        for number, (start, upto) in enumerate(zip(starts, bounds, strict=True))
    )


async def take_lane(session: AsyncSession, run_id: uuid.UUID) -> ReassessmentLane | None:
    """An unfinished lane of the run, locked for this chunk; None when all are finished or held
    by other sessions (PostgreSQL: SKIP LOCKED)."""
    statement = (
        select(ReassessmentLane)
        .where(ReassessmentLane.run_id == run_id, not_(ReassessmentLane.finished))
        .order_by(ReassessmentLane.lane)
        .limit(1)
        .execution_options(populate_existing=True)
    )
    if is_postgres(session):
        statement = statement.with_for_update(skip_locked=True)
    return (await session.execute(statement)).scalar_one_or_none()


async def unfinished_lanes(session: AsyncSession, run_id: uuid.UUID) -> int:
    statement = select(func.count()).where(ReassessmentLane.run_id == run_id, not_(ReassessmentLane.finished))
    return int(await session.scalar(statement) or 0)


async def move_lane(session: AsyncSession, lane: ReassessmentLane, values: dict[str, Any]) -> None:
    await session.execute(
        update(ReassessmentLane)
        .where(ReassessmentLane.run_id == lane.run_id, ReassessmentLane.lane == lane.lane)
        .values(**values)
    )


async def add_progress(session: AsyncSession, run_id: uuid.UUID, processed: int, changed: int) -> None:
    """Count a chunk in the run's progress; the run stays locked only until this transaction ends."""
    await session.execute(
        update(ReassessmentRun)
        .where(ReassessmentRun.id == run_id)
        .values(processed=ReassessmentRun.processed + processed, changed=ReassessmentRun.changed + changed)
    )


async def next_run(session: AsyncSession, statuses: Sequence[str]) -> uuid.UUID | None:
    return await session.scalar(
        select(ReassessmentRun.id)
        .where(ReassessmentRun.status.in_(statuses))
        .order_by(ReassessmentRun.created_at)
        .limit(1)
    )


async def advance(session: AsyncSession, run_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(update(ReassessmentRun).where(ReassessmentRun.id == run_id).values(**values))


# -- PostgreSQL: a chunk as one statement ---------------------------------------------------------


@dataclass(frozen=True)
class IdSeries:
    """Version 7 UUIDs made in SQL: `prefix` (time in ms, version, 12 random bits), then `base + n` in hex."""

    prefix: str
    base: int

    @classmethod
    def fresh(cls) -> "IdSeries":
        """A new series, stamped now."""
        stamp = int(time.time() * 1000)
        random_bits = int.from_bytes(os.urandom(10), "big")
        # A negative int8 whose two's complement starts with the variant bits 10, so the 64 low bits
        # that to_hex() writes stay a version 7 UUID for n up to 2**32.
        low = (random_bits >> 12) % ((1 << 62) - (1 << 32))
        return cls(f"{stamp:012x}7{random_bits & 0xFFF:03x}", ((1 << 63) | low) - (1 << 64))

    def of(self, number: Any) -> Any:
        digits = relational.text_concat(
            [literal(self.prefix, String()), func.to_hex(literal(self.base, BigInteger()) + number)]
        )
        return cast(digits, Uuid())


@dataclass(frozen=True)
class PolicyScope:
    """A published policy, compiled, and where it applies in the run's region."""

    policy_id: uuid.UUID
    code: str
    policy_version: int
    compiled: CompiledPolicy
    scope: Scope


@dataclass(frozen=True)
class ChunkWritten:
    read: int
    last: uuid.UUID | None
    written: int
    changed: int


async def local_settings(session: AsyncSession) -> None:
    """For this transaction: no JIT, a plan for this chunk's cursor, and room to keep a chunk's
    evaluated rows in memory."""
    # JIT compiling the rules' expressions costs more than it saves on a chunk. From the sixth
    # chunk on, the driver's prepared statement would get a generic plan that cannot see how few
    # households follow the cursor: it read the rest of the lane and sorted it, twice the time.
    await session.execute(
        select(
            func.set_config("jit", "off", True),
            func.set_config("plan_cache_mode", "force_custom_plan", True),
            func.set_config("work_mem", WORK_MEM, True),
        )
    )


def inside(village: Any, scope: Scope) -> Any:
    """SQL condition: the village is in the scope."""
    excluded = [not_(village.between(*region_bounds(prefix))) for prefix in scope.excluded]
    return and_(village.between(*region_bounds(scope.prefix)), *excluded)


def _projection(region_code: str) -> tuple[FromClause, Any]:
    """Household inputs of a region with their current outcome, and the condition on the region."""
    households, current = HouseholdInput.__table__, CurrentAssessment.__table__
    joined = households.outerjoin(current, current.c.household_id == households.c.household_id)
    low, high = region_bounds(region_prefix(region_code))
    return joined, households.c.village_code.between(low, high)


def _chunk(region_code: str, after: uuid.UUID | None, upto: uuid.UUID | None, size: int) -> Any:
    households, current = HouseholdInput.__table__, CurrentAssessment.__table__
    _, in_region = _projection(region_code)
    start = after or uuid.UUID(int=0)
    # The range on both sides lets the join walk both primary keys from the cursor and stop with the
    # chunk, instead of reading every current outcome before it.
    on = and_(current.c.household_id == households.c.household_id, current.c.household_id > start)
    if upto is not None:
        in_region = and_(in_region, households.c.household_id <= upto)
        on = and_(on, current.c.household_id <= upto)
    return (
        select(
            households.c.household_id,
            households.c.household_version,
            households.c.village_code,
            households.c.inputs_hash,
            *[households.c[name] for name in HOUSEHOLD_COLUMNS],
            households.c.members,
            current.c.household_version.label("current_version"),
            current.c.policy_id.label("current_policy"),
            current.c.as_of.label("current_as_of"),
            current.c.outcome_key.label("current_key"),
        )
        .select_from(households.outerjoin(current, on))
        .where(households.c.household_id > start, in_region)
        .order_by(households.c.household_id)
        .limit(size)
        .cte("chunk")
    )


def _assessed(chunk: Any, scope: PolicyScope, as_of: dt.date) -> Any:
    """The chunk's households under one policy, but not those assessed alike (version, policy, date)."""
    fresh = or_(
        chunk.c.current_version.is_distinct_from(chunk.c.household_version),
        chunk.c.current_policy.is_distinct_from(scope.policy_id),
        chunk.c.current_as_of.is_distinct_from(as_of),
    )
    source = select(chunk).where(inside(chunk.c.village_code, scope.scope), fresh).subquery()
    compiled = scope.compiled
    evaluated = relational.evaluated(
        compiled.program, source, params=compiled.parameters_on(as_of), as_of=as_of, prefix="p"
    )
    row = evaluated.query.c
    stored = compiled.stored_columns(evaluated)
    return select(
        row.household_id,
        row.household_version,
        row.village_code,
        row.inputs_hash,
        row.current_key,
        literal(scope.policy_id, Uuid()).label("policy_id"),
        literal(scope.code, String()).label("policy_code"),
        literal(scope.policy_version, BigInteger()).label("policy_version"),
        *[value.label(name) for name, value in stored.items()],
    )


def _payload(row: Any, assessment_id: Any, constants: dict[str, str]) -> Any:
    """contract.AssessmentRecorded as JSON text, written as assessments.service.event_payloads writes it."""
    score = row.score_x100
    rounded = func.round(cast(score, Numeric()) / 100, case((score % 10 == 0, 1), else_=2), type_=Numeric())
    quote = literal('"', String())
    degree = func.coalesce(relational.text_concat([quote, row.degree, quote]), "null", type_=String())
    parts: list[Any] = [
        '{"assessment_id":"',
        cast(assessment_id, String()),
        '","household_id":"',
        cast(row.household_id, String()),
        '","household_version":',
        cast(row.household_version, String()),
        ',"village_code":"',
        row.village_code,
        '","policy_code":"',
        row.policy_code,
        '","policy_version":',
        cast(row.policy_version, String()),
        ',"category":"',
        row.category,
        '","poor":',
        cast(row.poor, String()),
        f',"assessed_at":"{constants["assessed_at"]}","as_of":"{constants["as_of"]}","degree":',
        degree,
        ',"extreme_poverty":',
        cast(row.extreme_poverty, String()),
        ',"exit_ready":',
        cast(row.exit_ready, String()),
        ',"programs":',
        row.programs,
        ',"score":',
        cast(rounded, String()),
        f',"run_id":"{constants["run_id"]}"}}',
    ]
    pieces = [literal(part, String()) if isinstance(part, str) else part for part in parts]
    return cast(relational.text_concat(pieces), JSON())


def _not_newer(excluded: Any) -> Any:
    """Condition of replacing a current outcome: it is not of a newer household version than the chunk
    read (the registry feed's single assessment may have committed one since)."""
    return CurrentAssessment.__table__.c.household_version <= excluded.household_version


async def assess_chunk(
    session: AsyncSession,
    *,
    run: ReassessmentRun,
    lane: ReassessmentLane,
    scopes: Sequence[PolicyScope],
    size: int,
    now: dt.datetime,
    assessment_ids: IdSeries,
    event_ids: IdSeries,
) -> ChunkWritten:
    """Assess the next chunk of a run inside PostgreSQL: assessments, current outcomes and events
    of changed outcomes written by one statement, in the caller's transaction."""
    as_of = run.as_of
    chunk = _chunk(run.region_code, lane.resume_after, lane.upto, size)
    branches = [_assessed(chunk, scope, as_of) for scope in scopes]
    evaluated = union_all(*branches).subquery("evaluated") if branches else None
    counts: list[Any] = [
        select(func.count()).select_from(chunk).scalar_subquery(),
        select(chunk.c.household_id).order_by(chunk.c.household_id.desc()).limit(1).scalar_subquery(),
    ]
    if evaluated is None:
        found = (await session.execute(select(*counts))).one()
        return ChunkWritten(read=found[0], last=found[1], written=0, changed=0)
    number = func.row_number().over()
    numbered = select(
        evaluated, assessment_ids.of(number).label("assessment_id"), event_ids.of(number).label("event_id")
    ).cte("numbered")
    row = numbered.c
    assessment_id = row.assessment_id
    changed = row.outcome_key.is_distinct_from(row.current_key)
    at = literal(now, DateTime(timezone=True))
    assessments = insert(Assessment).from_select(
        ASSESSMENT_COLUMNS,
        select(
            assessment_id,
            row.household_id,
            row.household_version,
            row.village_code,
            row.policy_id,
            row.policy_code,
            row.policy_version,
            literal(as_of, Date()),
            row.inputs_hash,
            row.category,
            row.poor,
            row.degree,
            row.extreme_poverty,
            row.exit_ready,
            row.score_x100,
            row.details,
            literal(run.id, Uuid()),
            at,
        ),
        include_defaults=False,
    )
    currents = postgres_insert(CurrentAssessment).from_select(
        CURRENT_COLUMNS,
        select(
            row.household_id,
            assessment_id,
            row.household_version,
            row.village_code,
            row.policy_id,
            literal(as_of, Date()),
            row.outcome_key,
            row.category,
            row.poor,
            row.score_x100,
        ),
        include_defaults=False,
    )
    currents = currents.on_conflict_do_update(
        index_elements=["household_id"],
        set_={name: currents.excluded[name] for name in CURRENT_COLUMNS[1:]},
        where=_not_newer(currents.excluded),
    )
    constants = {"as_of": as_of.isoformat(), "run_id": str(run.id), "assessed_at": now.isoformat()}
    events = insert(OutboxEvent).from_select(
        ("event_id", "type", "key", "payload", "occurred_at", "request_id"),
        select(
            row.event_id,
            literal(contract.ASSESSMENT_RECORDED, String()),
            cast(row.household_id, String()),
            _payload(row, assessment_id, constants),
            at,
            literal(current_request_id(), String()),
        ).where(changed),
        include_defaults=False,
    )
    statement = select(
        *counts,
        select(func.count()).select_from(numbered).scalar_subquery(),
        select(func.count()).select_from(numbered).where(changed).scalar_subquery(),
    ).add_cte(assessments.cte("assessed"), currents.cte("currents"), events.cte("announced"))
    result = (await session.execute(statement)).one()
    return ChunkWritten(read=result[0], last=result[1], written=result[2], changed=result[3])


# -- SQLite: the projection in chunks, evaluated by numpy -----------------------------------------


@dataclass
class Chunk:
    """Households in id order after a cursor, with their current assessment (None where there is none)."""

    household_ids: list[uuid.UUID]
    versions: list[int]
    villages: list[str]
    hashes: list[str]
    columns: dict[str, list[Any]]
    members: list[list[int]]
    current_versions: list[int | None]
    current_policies: list[uuid.UUID | None]
    current_dates: list[Any]
    current_keys: list[str | None]

    def __len__(self) -> int:
        return len(self.household_ids)


async def read_chunk(
    session: AsyncSession, region_code: str, after: uuid.UUID | None, upto: uuid.UUID | None, size: int
) -> Chunk:
    chunk = _chunk(region_code, after, upto, size)
    rows = (await session.execute(select(chunk))).all()
    names = list(chunk.c.keys())
    values = {name: [row[index] for row in rows] for index, name in enumerate(names)}
    return Chunk(
        household_ids=values["household_id"],
        versions=values["household_version"],
        villages=values["village_code"],
        hashes=values["inputs_hash"],
        columns={name: values[name] for name in HOUSEHOLD_COLUMNS},
        members=values["members"],
        current_versions=values["current_version"],
        current_policies=values["current_policy"],
        current_dates=values["current_as_of"],
        current_keys=values["current_key"],
    )


EventRow = tuple[str, str, str, str, Any]
"""An event to add: id, type, key, payload as JSON text, time."""


async def write(
    session: AsyncSession,
    assessments: list[tuple[Any, ...]],
    currents: list[tuple[Any, ...]],
    events: list[EventRow],
) -> None:
    """Insert assessments, insert or replace current outcomes, add events (ids may be given as text)."""
    if assessments:
        rows: list[dict[str, Any]] = [dict(zip(ASSESSMENT_COLUMNS, row, strict=True)) for row in assessments]
        for values in rows:
            values["id"] = _uuid(values["id"])
        await session.execute(insert(Assessment), rows)
    for outcome in currents:
        values = dict(zip(CURRENT_COLUMNS, outcome, strict=True))
        values["assessment_id"] = _uuid(values["assessment_id"])
        upsert = sqlite_insert(CurrentAssessment).values(**values)
        await session.execute(
            upsert.on_conflict_do_update(
                index_elements=["household_id"],
                set_={k: v for k, v in values.items() if k != "household_id"},
                where=_not_newer(upsert.excluded),
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
