"""Eligibility at county scale: bulk reassessment, one assessment, what-if simulation.

`python -m bench eligibility` (ELIGIBILITY_BENCH_HOUSEHOLDS, default 1,000,000;
ELIGIBILITY_BENCH_LANES, sessions side by side, default the runner's) on the local PostgreSQL
(FUPIN_TEST_PG, default postgres@127.0.0.1:5432). A throw-away database gets the eligibility
schema by its migrations; the projection of SyntheticCounty households is loaded
set-based (COPY), not through the API. Then, timed:

1. a first bulk run over every household (read the projection, evaluate, write assessments,
   current outcomes and one event per household: every outcome is new);
2. a second run after publishing a new version that moves the poverty line (only changed
   outcomes publish events);
3. one assessment (preview: policy lookup, evaluation, explanation) repeated, p50/p99, in the
   process and, at the end, through the gateway to the eligibility service (separate uvicorn
   processes on a fresh database, as a client sends it);
4. a what-if simulation of a draft over one township of 200 k households.

Peak memory is the process's maximum resident set (resource.getrusage), after loading. Each timed
step also shows the CPU seconds of this process and of the database's PostgreSQL backends, and the
load average when it ended, so figures taken on a busy machine can be judged.
"""

import asyncio
import datetime as dt
import json
import os
import resource
import time
import uuid
from typing import Any

import asyncpg
import httpx

from bench.cpu import PostgresCpu
from bench.generator import SyntheticCounty
from bench.surveys_bench import PASSWORD, separate_system
from bench.timing import percentiles
from services.eligibility.assessments.service import preview
from services.eligibility.household_inputs.service import facts_of
from services.eligibility.models import ReassessmentRun
from services.eligibility.policies.service import create_draft, publish_policy, sync_shipped
from services.eligibility.reassessments.runner import CHUNK_SIZE, LANES, run_to_end
from services.eligibility.reassessments.service import create_run
from services.eligibility.rules.inputs import HOUSEHOLD_COLUMNS, encode, inputs_hash
from services.eligibility.schemas import (
    HouseholdInputIn,
    PolicyAction,
    PolicyDocument,
    PolicyDraftIn,
    PreviewIn,
    SimulationIn,
)
from services.eligibility.simulations.service import simulate
from services.kit.auth import Principal, PrincipalKind, Role
from services.kit.database import Database
from services.kit.migrations import upgrade

SERVER = os.environ.get("FUPIN_TEST_PG", "postgres@127.0.0.1:5432")
COUNTY = "522627000000"
LANES_USED = int(os.environ.get("ELIGIBILITY_BENCH_LANES", LANES))
DISTINCT = 50_000  # distinct synthetic households, repeated under new ids up to the target
AS_OF = dt.date(2026, 11, 1)
ADMIN = Principal(subject="bench", kind=PrincipalKind.USER, roles=frozenset({Role.ADMIN}))


class Meter:
    """CPU seconds (this process, PostgreSQL) and load average of each timed step, printed at the end."""

    def __init__(self, database: str) -> None:
        self.postgres = PostgresCpu(SERVER, database)
        self.steps: list[tuple[str, float, float | None, float]] = []
        self._before: tuple[float, float | None] = (0.0, None)

    def restart(self) -> None:
        self._before = (time.process_time(), self.postgres.seconds())

    def mark(self, label: str) -> None:
        process, postgres = time.process_time(), self.postgres.seconds()
        server = None if postgres is None or self._before[1] is None else postgres - self._before[1]
        self.steps.append((label, process - self._before[0], server, os.getloadavg()[0]))
        self._before = (process, postgres)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def distinct_households() -> list[tuple[str, dict[str, Any]]]:
    county = SyntheticCounty(COUNTY, seed=7, townships=5, villages_per_township=5)
    rows = []
    for number, household in enumerate(county.households(DISTINCT)):
        members = [
            {
                "member_id": str(uuid.UUID(int=number * 16 + index)),
                "relation": member.relation,
                "sex": member.sex,
                "birth_date": member.birth_date.isoformat(),
                "labour_capacity": member.labour_capacity,
            }
            for index, member in enumerate(household.members)
        ]
        income = household.income
        total = (
            income["wages_fen"]
            + income["production_net_fen"]
            + income["property_fen"]
            + income["transfer_fen"]
            - income["production_cost_fen"]
        )
        payload = {
            "household_id": str(household.key),
            "version": 1,
            "village_code": household.village_code,
            "status": "registered",
            "member_count": len(members),
            "per_capita_net_income_fen": total // len(members),
            "housing_safety_grade": household.housing["safety_grade"],
            "housing_area_m2": household.housing["area_m2"],
            "drinking_water_safe": household.housing["drinking_water_safe"],
            "members": members,
        }
        rows.append((household.village_code, facts_of(payload)))
    return rows


async def load(url: str, households: int) -> None:
    """The projection and the input snapshots, loaded with COPY in chunks."""
    templates = distinct_households()
    encoded = [(village, inputs_hash(facts), *encode(facts)) for village, facts in templates]
    connection = await asyncpg.connect(url, server_settings={"search_path": "eligibility"})
    try:
        await connection.copy_records_to_table(
            "input_snapshots",
            records=[
                (digest, json.dumps(facts, ensure_ascii=False), dt.datetime.now(dt.UTC))
                for (_v, facts), (_v2, digest, _c, _m) in zip(templates, encoded, strict=True)
            ],
            columns=("inputs_hash", "facts", "created_at"),
        )
        now = dt.datetime.now(dt.UTC)
        step = 100_000
        for start in range(0, households, step):
            records = []
            for number in range(start, min(households, start + step)):
                village, digest, columns, members = encoded[number % DISTINCT]
                values = [columns[name] for name in HOUSEHOLD_COLUMNS]
                records.append((uuid.uuid4(), 1, village, digest, *values, members, now))
            await connection.copy_records_to_table(
                "household_inputs",
                records=records,
                columns=(
                    "household_id",
                    "household_version",
                    "village_code",
                    "inputs_hash",
                    *HOUSEHOLD_COLUMNS,
                    "members",
                    "updated_at",
                ),
            )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def bulk(database: Database, label: str) -> tuple[float, int, int]:
    async with database.sessionmaker() as session, session.begin():
        run = await create_run(session, ADMIN, COUNTY, AS_OF, label)
    started = time.perf_counter()
    await run_to_end(database, run.id, lanes=LANES_USED)
    elapsed = time.perf_counter() - started
    async with database.sessionmaker() as session:
        done = await session.get(ReassessmentRun, run.id)
    assert done is not None
    return elapsed, done.processed, done.changed


PREVIEW = PreviewIn(
    village_code="522627001201",
    as_of=AS_OF,
    household=HouseholdInputIn.model_validate(
        {
            "per_capita_net_income_fen": 180000,
            "housing_safety_grade": "C",
            "members": [
                {"birth_date": "1980-03-15", "sex": "male", "labour_capacity": "normal"},
                {"birth_date": "1950-06-11", "sex": "female", "labour_capacity": "lost"},
            ],
        }
    ),
)


async def single(database: Database, repeat: int) -> tuple[float, float]:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        async with database.sessionmaker() as session:
            await preview(session, ADMIN, PREVIEW)
        timings.append(time.perf_counter() - started)
    p50, _p95, p99 = percentiles(timings)
    return p50, p99


async def single_over_http(gateway_url: str, repeat: int) -> tuple[float, float]:
    """The same preview as a client sends it: through the gateway to the eligibility service."""
    body = PREVIEW.model_dump(mode="json")
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as http:
        login = await http.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD})
        headers = {"authorization": f"Bearer {login.json()['access_token']}"}
        timings = []
        for attempt in range(repeat + 50):  # the first 50 warm the connections and caches up
            started = time.perf_counter()
            response = await http.post("/api/v1/assessments/preview", json=body, headers=headers)
            response.raise_for_status()
            if attempt >= 50:
                timings.append(time.perf_counter() - started)
    p50, _p95, p99 = percentiles(timings)
    return p50, p99


async def new_line_version(database: Database) -> uuid.UUID:
    """A county policy whose line is 4,000 yuan from 2020 (a draft, published by the caller)."""
    async with database.sessionmaker() as session, session.begin():
        draft = await create_draft(
            session, ADMIN, PolicyDraftIn(document=_raised_line("cn-bench-line", 400000))
        )
        draft_id = draft.id
    return draft_id


def _raised_line(code: str, line_fen: int) -> PolicyDocument:
    return PolicyDocument.model_validate(
        {
            "code": code,
            "title_zh": f"基准测试:扶贫标准{line_fen // 100}元",
            "title_en": f"Bench: a {line_fen // 100}-yuan line",
            "region_code": COUNTY,
            "effective_from": "2020-01-01",
            "extends": "cn-national",
            "parameters": {"poverty_line_fen": {"values": {"2020-01-01": line_fen}}},
        }
    )


async def main_async(households: int) -> None:
    name = f"bench_eligibility_{os.getpid()}"
    admin = await asyncpg.connect(f"postgresql://{SERVER}/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = f"postgresql+asyncpg://{SERVER}/{name}"
    try:
        await asyncio.to_thread(upgrade, "eligibility", url)
        started = time.perf_counter()
        await load(f"postgresql://{SERVER}/{name}", households)
        load_seconds = time.perf_counter() - started
        database = Database(url, "eligibility", pool_size=LANES_USED)
        async with database.sessionmaker() as session, session.begin():
            await sync_shipped(session)
        memory_after_load = peak_mb()
        meter = Meter(name)
        meter.postgres.start()
        await asyncio.sleep(0.5)  # the first sample of the backends, before the clock runs
        meter.restart()
        first = await bulk(database, "bench: first assessment of every household")
        meter.mark("bulk run 1")
        draft_id = await new_line_version(database)
        async with database.sessionmaker() as session, session.begin():
            await publish_policy(
                session, ADMIN, draft_id, PolicyAction(version=1, reason="bench", reassess=False)
            )
        meter.restart()
        second = await bulk(database, "bench: after a new line")
        meter.mark("bulk run 2")
        p50, p99 = await single(database, 500)
        meter.mark("500 single assessments")
        async with database.sessionmaker() as session, session.begin():
            draft = await create_draft(
                session, ADMIN, PolicyDraftIn(document=_raised_line("cn-bench-sim", 300000))
            )
        meter.restart()
        started = time.perf_counter()
        async with database.sessionmaker() as session:
            result = await simulate(
                session,
                ADMIN,
                draft.id,
                SimulationIn(region_code="522627001000", as_of=AS_OF, sample_size=20),
            )
        simulation_seconds = time.perf_counter() - started
        meter.mark("simulation")
        await meter.postgres.stop()
        await database.dispose()
        print(
            f"households: {households:,} (PostgreSQL 15, {os.cpu_count()} cores, "
            f"chunk {CHUNK_SIZE:,}, lanes {LANES_USED})"
        )
        print(f"{'measure':<58}{'figure':>20}")
        print(f"{'load projection (COPY, setup, not timed against a goal)':<58}{load_seconds:>18.1f} s")
        print(f"{'peak RSS after load':<58}{memory_after_load:>17.0f} MB")
        for label, (seconds, processed, changed) in (
            ("bulk run 1: every household new", first),
            ("bulk run 2: new line version", second),
        ):
            print(f"{label + ' (s)':<58}{seconds:>18.1f} s")
            print(f"{'  households processed / events (changed)':<58}{processed:>10,} / {changed:,}")
            print(f"{'  households per second':<58}{processed / seconds:>20,.0f}")
        print(f"{'one assessment (preview) p50 / p99':<58}{p50:>9.2f} / {p99:.2f} ms")
        print(f"{'simulation over one township (s)':<58}{simulation_seconds:>18.1f} s")
        print(
            f"{'  households / entering / exiting / changing':<58}"
            f"{result.households:,} / {result.entering:,} / {result.exiting:,} / {result.changing:,}"
        )
        print(f"{'peak RSS, whole bench':<58}{peak_mb():>17.0f} MB")
        for label, process, server, average in meter.steps:
            postgres = "n/a" if server is None else f"{server:.1f}"
            step = f"  {label}: CPU s bench / PostgreSQL, load"
            print(f"{step:<58}{process:>8.1f} / {postgres}, {average:.1f}")
    finally:
        admin = await asyncpg.connect(f"postgresql://{SERVER}/postgres")
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    households = int(os.environ.get("ELIGIBILITY_BENCH_HOUSEHOLDS", "1000000"))
    asyncio.run(main_async(households))
    with separate_system(eligibility=True) as system:
        p50, p99 = asyncio.run(single_over_http(system.gateway_url, 500))
    label = "one assessment through the gateway (HTTP) p50 / p99"
    print(f"{label:<58}{p50:>9.2f} / {p99:.2f} ms")


if __name__ == "__main__":
    main()
