"""Carrying out bulk runs: lane by lane side by side, chunk by chunk, each chunk one transaction.

A queued run is split into lanes, ranges of household ids of about equal size, one per database
session that carries it out (LANES on PostgreSQL, one on SQLite, which takes one writer at a
time). A chunk takes the households of one lane in id order after the lane's cursor, assesses each
with the policy that applies to its village, writes the assessments set-based and moves the lane's
cursor and the run's progress, all in one transaction. A crash loses at most the chunks in flight;
workers resume from the committed cursors. Households whose version, policy and date are unchanged
are not written again, and only changed outcomes publish `assessment.recorded`. On PostgreSQL the
chunk never leaves the database (reassessments/repository.py: one INSERT ... SELECT with the rules
compiled to SQL); on SQLite it is evaluated by numpy here.
"""

import asyncio
import contextlib
import datetime as dt
import gc
import logging
import uuid
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np

from services.eligibility import contract
from services.eligibility.assessments.service import event_payloads, new_ids
from services.eligibility.models import AuditRecord, Policy, ReassessmentLane, ReassessmentRun
from services.eligibility.policies import repository as policy_repository
from services.eligibility.policies.engine import CompiledPolicy
from services.eligibility.policies.service import assign_policies, compiled, scopes
from services.eligibility.reassessments import repository
from services.eligibility.reassessments.service import COMPLETED, FAILED, QUEUED, RUNNING
from services.eligibility.rules.inputs import HouseholdBatch
from services.kit.audit import record_audit
from services.kit.database import Database, utcnow

logger = logging.getLogger("fupin.eligibility.reassessments")
CHUNK_SIZE = 50_000
LANES = 2
"""Sessions carrying out one run side by side on PostgreSQL: the evaluation runs in the database,
one backend per session, so one per core of this machine."""


@dataclass
class ChunkResult:
    read: int
    written: int
    changed: int


async def start(database: Database, run_id: uuid.UUID, lanes: int) -> ReassessmentRun | None:
    """The run, marked running and split into lanes if it was queued; None when it is over."""
    async with database.sessionmaker() as session, session.begin():
        run = await repository.lock_run(session, run_id)
        if run is None or run.status in (COMPLETED, FAILED):
            return None
        if run.status == QUEUED:
            count = 1 if database.is_sqlite else lanes
            repository.add_lanes(
                session, run.id, await repository.split(session, run.region_code, run.total, count)
            )
            await repository.advance(session, run_id, {"status": RUNNING, "started_at": utcnow()})
        return run


async def process_chunk(
    database: Database, run_id: uuid.UUID, chunk_size: int = CHUNK_SIZE, lanes: int = LANES
) -> ChunkResult | None:
    """Process the next chunk of a free lane of a run in one transaction; None when the run is over
    or its unfinished lanes are held by other sessions."""
    run = await start(database, run_id, lanes)
    if run is None:
        return None
    async with database.sessionmaker() as session, session.begin():
        lane = await repository.take_lane(session, run_id)
        if lane is None:
            return None
        now = utcnow()
        policies = list(await policy_repository.published(session))
        compiled_policies = [await compiled(session, policy) for policy in policies]
        if repository.is_postgres(session):
            await repository.local_settings(session)
            written = await repository.assess_chunk(
                session,
                run=run,
                lane=lane,
                scopes=[
                    repository.PolicyScope(
                        policies[scope.index].id,
                        policies[scope.index].code,
                        policies[scope.index].policy_version,
                        compiled_policies[scope.index],
                        scope,
                    )
                    for scope in scopes(policies, run.region_code, run.as_of)
                ],
                size=chunk_size,
                now=now,
                assessment_ids=repository.IdSeries.fresh(),
                event_ids=repository.IdSeries.fresh(),
            )
            read, last, assessed, changed = written.read, written.last, written.written, written.changed
        else:
            read, last, assessed, changed = await _evaluate_here(
                session, run, lane, policies, compiled_policies, chunk_size, now
            )
        if read == 0:
            await repository.move_lane(session, lane, {"finished": True})
            await _complete_if_last(session, run_id, now)
        else:
            await repository.move_lane(session, lane, {"resume_after": last})
            # Last, so that the run stays locked only while this transaction commits.
            await repository.add_progress(session, run_id, read, changed)
        return ChunkResult(read=read, written=assessed, changed=changed)


async def _complete_if_last(session: Any, run_id: uuid.UUID, now: dt.datetime) -> None:
    """Complete the run when no other lane is left; lanes finishing together queue on the run's lock,
    so the last of them sees the others finished."""
    run = await repository.lock_run(session, run_id)
    if run is None or run.status != RUNNING or await repository.unfinished_lanes(session, run_id):
        return
    await repository.advance(session, run.id, {"status": COMPLETED, "finished_at": now})
    record_audit(
        session,
        AuditRecord,
        actor=None,
        actor_name=run.requested_by,
        action="reassessment.completed",
        entity_type="reassessment",
        entity_id=str(run.id),
        detail={"processed": run.processed, "changed": run.changed},
        reason=run.reason,
    )


async def _evaluate_here(
    session: Any,
    run: ReassessmentRun,
    lane: ReassessmentLane,
    policies: list[Policy],
    compiled_policies: list[CompiledPolicy],
    chunk_size: int,
    now: dt.datetime,
) -> tuple[int, uuid.UUID | None, int, int]:
    """A chunk read into numpy, evaluated and written back (SQLite): read, last id, written, changed."""
    chunk = await repository.read_chunk(session, run.region_code, lane.resume_after, lane.upto, chunk_size)
    if len(chunk) == 0:
        return 0, None, 0, 0
    # A chunk makes many short-lived tuples; the cycle collector would scan them again and again for
    # nothing (none is part of a cycle), so it waits until the chunk is written.
    gc.disable()
    try:
        assessments, currents, events = _evaluate(
            chunk, policies, compiled_policies, run.region_code, run.as_of, run.id, now
        )
        await repository.write(session, assessments, currents, events)
    finally:
        gc.enable()
    return len(chunk), chunk.household_ids[-1], len(assessments), len(events)


Rows = list[tuple[Any, ...]]


def _evaluate(
    chunk: repository.Chunk,
    policies: list[Policy],
    compiled_policies: list[CompiledPolicy],
    region_code: str,
    as_of: dt.date,
    run_id: uuid.UUID,
    now: dt.datetime,
) -> tuple[Rows, Rows, list[repository.EventRow]]:
    """Assessments, current outcomes and events of a chunk, built column by column."""
    batch = HouseholdBatch.from_columns(chunk.columns, chunk.members)
    choice = assign_policies(policies, np.asarray(chunk.villages, dtype=str), region_code, as_of)
    assessments: Rows = []
    currents: Rows = []
    events: list[repository.EventRow] = []
    for policy_index in np.unique(choice[choice >= 0]).tolist():
        policy = policies[policy_index]
        policy_id, code, number = policy.id, policy.code, policy.policy_version
        candidates = np.flatnonzero(choice == policy_index).tolist()
        # The same household version, policy and date were assessed before: the result would be the same.
        fresh = [
            row
            for row in candidates
            if not (
                chunk.current_versions[row] == chunk.versions[row]
                and chunk.current_policies[row] == policy_id
                and chunk.current_dates[row] == as_of
            )
        ]
        if not fresh:
            continue
        evaluation = compiled_policies[policy_index].evaluate(batch.take(np.asarray(fresh, np.int64)), as_of)
        results = evaluation.outcomes()
        ids = new_ids(len(fresh))
        households = [chunk.household_ids[row] for row in fresh]
        versions = [chunk.versions[row] for row in fresh]
        villages = [chunk.villages[row] for row in fresh]
        categories = evaluation.category_names()
        degrees = evaluation.degree_names()
        poor = evaluation.poor.tolist()
        extreme = evaluation.extreme.tolist()
        exit_ready = evaluation.exit_ready.tolist()
        scores = evaluation.score_x100.tolist()
        assessments.extend(
            zip(
                ids,
                households,
                versions,
                villages,
                repeat(policy_id),
                repeat(code),
                repeat(number),
                repeat(as_of),
                [chunk.hashes[row] for row in fresh],
                categories,
                poor,
                degrees,
                extreme,
                exit_ready,
                scores,
                evaluation.packed(),
                repeat(run_id),
                repeat(now),
            )
        )
        currents.extend(
            zip(
                households,
                ids,
                versions,
                villages,
                repeat(policy_id),
                repeat(as_of),
                results.keys,
                categories,
                poor,
                scores,
            )
        )
        changed = [
            position
            for position, (key, row) in enumerate(zip(results.keys, fresh, strict=True))
            if key != chunk.current_keys[row]
        ]
        if not changed:
            continue
        columns = [
            ids,
            households,
            versions,
            villages,
            categories,
            poor,
            degrees,
            extreme,
            exit_ready,
            scores,
        ]
        columns = [[column[position] for position in changed] for column in columns]
        payloads = event_payloads(
            policy=policy,
            as_of=as_of,
            assessed_at=now,
            run_id=run_id,
            assessment_ids=columns[0],
            household_ids=columns[1],
            versions=columns[2],
            villages=columns[3],
            categories=columns[4],
            poor=columns[5],
            degrees=columns[6],
            extreme=columns[7],
            exit_ready=columns[8],
            programs_json=[results.programs_json[position] for position in changed],
            scores_x100=columns[9],
        )
        events.extend(
            zip(
                new_ids(len(changed)),
                repeat(contract.ASSESSMENT_RECORDED),
                [str(household) for household in columns[1]],
                payloads,
                repeat(now),
            )
        )
    return assessments, currents, events


async def run_to_end(
    database: Database, run_id: uuid.UUID, chunk_size: int = CHUNK_SIZE, lanes: int = LANES
) -> int:
    """Process a run until it is over, its lanes side by side; returns how many chunks this call read."""

    async def carry_out() -> int:
        chunks = 0
        while (result := await process_chunk(database, run_id, chunk_size, lanes)) is not None:
            chunks += result.read > 0
        return chunks

    # A task group: if one session fails, the others stop too, and the run is marked failed once.
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(carry_out()) for _ in range(1 if database.is_sqlite else lanes)]
    return sum(task.result() for task in tasks)


class ReassessmentWorker:
    """Background worker: carries out queued runs, and resumes interrupted ones after a restart."""

    def __init__(self, database: Database, poll_seconds: float = 2.0) -> None:
        self.database = database
        self.poll_seconds = poll_seconds
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def run_pending(self) -> None:
        tried: set[uuid.UUID] = set()
        while True:
            async with self.database.sessionmaker() as session:
                run_id = await repository.next_run(session, (QUEUED, RUNNING))
            if run_id is None or run_id in tried:
                return  # none left, or the oldest is being carried out by another replica
            tried.add(run_id)
            try:
                await run_to_end(self.database, run_id)
            except Exception as exc:
                logger.exception("reassessment %s failed", run_id)
                cause = exc.exceptions[0] if isinstance(exc, ExceptionGroup) else exc
                async with self.database.sessionmaker() as session, session.begin():
                    await repository.advance(
                        session,
                        run_id,
                        {"status": FAILED, "error": str(cause)[:500], "finished_at": utcnow()},
                    )

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_pending()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("reassessment worker: will retry")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="reassessments")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
