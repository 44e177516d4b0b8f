"""The registry at county scale: ID lookups, village rosters and the data-quality run.

`python -m bench registry` on the local PostgreSQL (FUPIN_TEST_PG, default postgres@127.0.0.1:5432).
A throw-away database gets the registry schema by its migrations; SyntheticCounty households are
loaded set-based (COPY, ID numbers encrypted and blind-indexed as the service does), not through
the API: county A with REGISTRY_BENCH_A households (default 100,000) in villages of 500, county B
with REGISTRY_BENCH_B (default 200,000), about 1 M members in all. Then, timed at the service
layer (query, decryption where needed, response model; no HTTP):

1. lookup of an active member by ID number (keyed hash, region filter), repeated: p50 / p99;
2. a village roster of 500 households (村有册) as JSON, repeated: p50 / p99; one as XLSX;
3. the data-quality run (every rule, INSERT … SELECT) over county A, then over both counties.
"""

import asyncio
import base64
import datetime as dt
import gc
import os
import random
import secrets
import statistics
import time
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
from rich.console import Console
from rich.table import Table

from bench.generator import SyntheticCounty, SyntheticHousehold
from services.kit.auth import Principal, PrincipalKind, Role
from services.kit.database import Database
from services.kit.migrations import upgrade
from services.registry.clock import Clock
from services.registry.households import service as households
from services.registry.households.identity import PiiVault, mask_id_number
from services.registry.models import QualityRun
from services.registry.parameters.service import sync_shipped
from services.registry.quality import service as quality
from services.registry.records import service as records
from services.registry.records import xlsx

SERVER = os.environ.get("FUPIN_TEST_PG", "postgres@127.0.0.1:5432")
COUNTY_A, COUNTY_B = "522627000000", "522628000000"
VILLAGE_SIZE = 500
BATCH = 5_000
LINE_FEN = 230_000
NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)

HOUSEHOLD_COLUMNS = [
    "id", "village_code", "status", "category", "head_name", "member_count", "wages_fen",
    "production_net_fen",
    "property_fen", "transfer_fen", "production_cost_fen", "per_capita_net_income_fen", "housing_structure",
    "housing_area_m2", "housing_safety_grade", "drinking_water_safe", "bank_name", "bank_account_cipher",
    "bank_account_masked", "registered_on", "exit_year", "created_at", "updated_at", "version",
]  # fmt: skip
MEMBER_COLUMNS = [
    "id", "household_id", "name", "id_number_cipher", "id_number_index", "id_number_masked", "sex",
    "birth_date", "relation", "labour_capacity", "active", "created_at", "updated_at", "version",
]  # fmt: skip


def _county(code: str, households: int, seed: int) -> SyntheticCounty:
    villages = max(1, households // VILLAGE_SIZE)
    townships = max(1, villages // 20)
    return SyntheticCounty(code, seed=seed, townships=townships, villages_per_township=villages // townships)


def _rows(
    batch: list[SyntheticHousehold], vault: PiiVault
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[str]]:
    household_rows, member_rows, numbers = [], [], []
    for household in batch:
        household_id = uuid.uuid4()
        income = household.income
        net = (
            income["wages_fen"]
            + income["production_net_fen"]
            + income["property_fen"]
            + income["transfer_fen"]
            - income["production_cost_fen"]
        )
        per_capita = net // len(household.members)
        poor = per_capita < LINE_FEN
        account = household.bank_account["account_number"]
        household_rows.append(
            (
                household_id, household.village_code, "registered" if poor else "exited",
                "general_poor" if poor else "not_poor", household.members[0].name, len(household.members),
                income["wages_fen"], income["production_net_fen"], income["property_fen"],
                income["transfer_fen"],
                income["production_cost_fen"], per_capita, household.housing["structure"],
                household.housing["area_m2"], household.housing["safety_grade"],
                household.housing["drinking_water_safe"], household.bank_account["bank_name"],
                vault.encrypt(account), "*" * (len(account) - 4) + account[-4:], dt.date(2016, 3, 1),
                None if poor else 2025, NOW, NOW, 1,
            )
        )  # fmt: skip
        for member in household.members:
            numbers.append(member.id_number)
            member_rows.append(
                (
                    uuid.uuid4(), household_id, member.name, vault.encrypt(member.id_number),
                    vault.blind_index(member.id_number), mask_id_number(member.id_number), member.sex,
                    member.birth_date, member.relation, member.labour_capacity, True, NOW, NOW, 1,
                )
            )  # fmt: skip
    return household_rows, member_rows, numbers


def _batches(county: SyntheticCounty, count: int) -> Iterator[list[SyntheticHousehold]]:
    source = county.households(count)
    while batch := [household for _, household in zip(range(BATCH), source, strict=False)]:
        yield batch


async def load(dsn: str, vault: PiiVault, counts: dict[str, int]) -> tuple[list[str], list[str], int]:
    """Load both counties; returns a sample of ID numbers, county A's villages, and the member count."""
    connection = await asyncpg.connect(dsn, server_settings={"search_path": "registry"})
    sample: list[str] = []
    members = 0
    villages_a: list[str] = []
    try:
        for seed, (code, count) in enumerate(counts.items(), start=1):
            county = _county(code, count, seed)
            if code == COUNTY_A:
                villages_a = county.village_codes
            for batch in _batches(county, count):
                household_rows, member_rows, numbers = _rows(batch, vault)
                await connection.copy_records_to_table(
                    "households", records=household_rows, columns=HOUSEHOLD_COLUMNS
                )
                await connection.copy_records_to_table("members", records=member_rows, columns=MEMBER_COLUMNS)
                members += len(member_rows)
                sample.extend(random.sample(numbers, min(20, len(numbers))))
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return sample, villages_a, members


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.99) - 1] * 1000


async def lookups(
    database: Database, vault: PiiVault, numbers: list[str], principal: Principal
) -> tuple[float, float]:
    timings = []
    for number in numbers:
        async with database.sessionmaker() as session:
            started = time.perf_counter()
            found = await households.lookup(session, number, principal=principal, vault=vault)
            timings.append(time.perf_counter() - started)
        assert found.id_number_masked == mask_id_number(number)
    return _percentiles(timings)


async def rosters(
    database: Database, villages: list[str], principal: Principal, clock: Clock
) -> tuple[float, float, int, float]:
    timings = []
    size = 0
    for village in villages:
        async with database.sessionmaker() as session:
            started = time.perf_counter()
            roster = await records.roster(session, village, principal=principal, clock=clock)
            roster.model_dump_json()
            timings.append(time.perf_counter() - started)
        size = max(size, len(roster.households))
    async with database.sessionmaker() as session:
        started = time.perf_counter()
        roster = await records.roster(session, villages[0], principal=principal, clock=clock)
        xlsx.roster_workbook(roster, clock)
        workbook_seconds = time.perf_counter() - started
    p50, p99 = _percentiles(timings)
    return p50, p99, size, workbook_seconds * 1000


async def quality_run(database: Database, region_code: str, clock: Clock) -> tuple[float, int, int]:
    async with database.sessionmaker() as session, session.begin():
        run = QualityRun(region_code=region_code, trigger="on_demand", status="running", requested_by="bench")
        session.add(run)
        await session.flush()
        started = time.perf_counter()
        await quality.execute(session, run, clock)
        seconds = time.perf_counter() - started
        return seconds, run.households_checked or 0, run.findings_count or 0


async def main_async(counts: dict[str, int]) -> None:
    name = f"bench_registry_{os.getpid()}"
    admin = await asyncpg.connect(f"postgresql://{SERVER}/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = f"postgresql+asyncpg://{SERVER}/{name}"
    vault = PiiVault(
        base64.b64encode(secrets.token_bytes(32)).decode(), base64.b64encode(secrets.token_bytes(32)).decode()
    )
    clock = Clock("Asia/Shanghai")
    clock.freeze(NOW)
    county_user = Principal(
        subject="bench",
        kind=PrincipalKind.USER,
        roles=frozenset({Role.COUNTY_APPROVER}),
        regions=(COUNTY_A, COUNTY_B),
    )
    try:
        await asyncio.to_thread(upgrade, "registry", url)
        started = time.perf_counter()
        sample, villages_a, members = await load(f"postgresql://{SERVER}/{name}", vault, counts)
        load_seconds = time.perf_counter() - started
        # What the loader left on this process's heap is not the service's: keep it out of the
        # collector's full passes, which otherwise land in the timed reads.
        gc.collect()
        gc.freeze()
        database = Database(url, "registry", pool_size=2)
        async with database.sessionmaker() as session, session.begin():
            await sync_shipped(session)
        numbers = random.Random(7).sample(sample, min(2_000, len(sample)))
        await lookups(database, vault, numbers[:50], county_user)  # warm the pool and the caches
        lookup_p50, lookup_p99 = await lookups(database, vault, numbers, county_user)
        roster_p50, roster_p99, roster_size, workbook_ms = await rosters(
            database, villages_a[:40], county_user, clock
        )
        quality_a = await quality_run(database, COUNTY_A, clock)
        quality_all = await quality_run(database, "520000000000", clock)
        await database.dispose()
    finally:
        admin = await asyncpg.connect(f"postgresql://{SERVER}/postgres")
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

    table = Table(
        title=f"Registry: {sum(counts.values()):,} households, {members:,} members "
        f"(loaded in {load_seconds:.0f} s)"
    )
    table.add_column("measure")
    table.add_column("result", justify="right")
    table.add_column("target", justify="right")
    table.add_row(
        f"lookup by ID number, p50 / p99 ({len(numbers):,} lookups)",
        f"{lookup_p50:.2f} / {lookup_p99:.2f} ms",
        "p99 ≤ 10 ms",
    )
    table.add_row(
        f"village roster ({roster_size} households) JSON, p50 / p99 (40 villages)",
        f"{roster_p50:.0f} / {roster_p99:.0f} ms",
        "≤ 200 ms",
    )
    table.add_row("village roster as XLSX (one)", f"{workbook_ms:.0f} ms", "")
    table.add_row(
        f"data-quality run, county A ({quality_a[1]:,} households, {quality_a[2]:,} findings)",
        f"{quality_a[0]:.1f} s",
        "≤ 30 s",
    )
    table.add_row(
        f"data-quality run, both counties ({quality_all[1]:,} households, {quality_all[2]:,} findings)",
        f"{quality_all[0]:.1f} s",
        "",
    )
    Console().print(table)
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end "
        "(other work shares it)"
    )


def main() -> None:
    counts = {
        COUNTY_A: int(os.environ.get("REGISTRY_BENCH_A", "100000")),
        COUNTY_B: int(os.environ.get("REGISTRY_BENCH_B", "200000")),
    }
    asyncio.run(main_async(counts))


if __name__ == "__main__":
    main()
