"""Records and the monthly report at county scale: the county archive (县有档) and the monthly report (月报).

`python -m bench reports` on the local PostgreSQL (FUPIN_TEST_PG, default postgres@127.0.0.1:5432).
One county of REPORTS_BENCH_HOUSEHOLDS households (default 100,000) in villages of 500 is loaded
set-based as in bench/registry_bench.py, then given a year of history in SQL: the status changes
(filed in 2016, a tenth exited during the past year), a visit in most months for most households,
income measures for most of them, and a data-quality run. Timed at the service layer (no HTTP):

1. the county archive as XLSX (one chunked query into a write-only workbook on disk), with the
   process's peak memory before and after;
2. the monthly report of the county as JSON and as XLSX (the subsidy service's answer is a stub);
3. one township's book as XLSX.
"""

import asyncio
import base64
import os
import secrets
import time
from pathlib import Path

import asyncpg
from rich.console import Console
from rich.table import Table

from bench.registry_bench import COUNTY_A, NOW, SERVER, load, quality_run
from services.kit.auth import Principal, PrincipalKind, Role
from services.kit.database import Database
from services.kit.migrations import upgrade
from services.registry.clock import Clock
from services.registry.households.identity import PiiVault
from services.registry.parameters.service import sync_shipped
from services.registry.records import service as records
from services.registry.records import xlsx as records_xlsx
from services.registry.reports import service as reports
from services.registry.reports import xlsx as reports_xlsx
from services.subsidy.contract import ProgramMonthPaid

MONTH = f"{NOW:%Y-%m}"
HISTORY = [
    # Every household was filed and registered in March 2016; a tenth exited during the past year.
    "UPDATE households SET created_at = TIMESTAMPTZ '2016-03-01 02:00+00'",
    """INSERT INTO household_status_changes
       (id, household_id, household_version, from_status, to_status, changed_at, changed_by, reason)
       SELECT gen_random_uuid(), id, 2, 'applicant', 'registered', TIMESTAMPTZ '2016-03-01 02:00+00',
              'bench', '建档立卡' FROM households""",
    """UPDATE households SET status = 'exited', exit_year = 2026
       WHERE status = 'registered' AND random() < 0.1""",
    """INSERT INTO household_status_changes
       (id, household_id, household_version, from_status, to_status, changed_at, changed_by, reason)
       SELECT gen_random_uuid(), id, 3, 'registered', 'exited',
              TIMESTAMPTZ '2025-12-01 02:00+00' + random() * INTERVAL '350 days', 'bench', '脱贫'
       FROM households WHERE status = 'exited'""",
    # A visit in each of the past 12 months for four households in five.
    """INSERT INTO visits
       (id, household_id, village_code, visited_by, visited_on, notes, photos, recorded_at)
       SELECT gen_random_uuid(), h.id, h.village_code, 'bench',
              (DATE '2025-12-10' + m * INTERVAL '1 month')::date, '走访', '[]', now()
       FROM households h CROSS JOIN generate_series(0, 11) AS m WHERE random() < 0.8""",
    # Two income measures for three households in five, one for another one in five.
    """INSERT INTO help_measures
       (id, household_id, village_code, kind, raises_income, description, started_on, recorded_by,
        created_at, updated_at, version)
       SELECT gen_random_uuid(), h.id, h.village_code, 'livestock', true, '养殖', DATE '2025-06-01', 'bench',
              now(), now(), 1
       FROM households h CROSS JOIN generate_series(1, 2) AS n
       WHERE (n = 1 AND h.id::text < 'c') OR (n = 2 AND h.id::text < '9')""",
    "ANALYZE",
]


async def _history(dsn: str) -> None:
    connection = await asyncpg.connect(dsn, server_settings={"search_path": "registry"})
    try:
        for statement in HISTORY:
            await connection.execute(statement)
    finally:
        await connection.close()


async def _paid(region_code: str, first_month: str, last_month: str) -> list[ProgramMonthPaid]:
    return [
        ProgramMonthPaid(
            program_code="bench",
            program_name_zh="到户增收补助",
            month=last_month,
            payments=1,
            paid_fen=100_000,
        )
    ]


def _memory_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak since the last reset) of this process, from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _reset_peak() -> None:
    # Writing 5 to clear_refs resets VmHWM (Linux), so the peak measured is the archive's own.
    Path("/proc/self/clear_refs").write_text("5")


async def main_async(households: int) -> None:
    name = f"bench_reports_{os.getpid()}"
    admin = await asyncpg.connect(f"postgresql://{SERVER}/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = f"postgresql+asyncpg://{SERVER}/{name}"
    dsn = f"postgresql://{SERVER}/{name}"
    vault = PiiVault(
        base64.b64encode(secrets.token_bytes(32)).decode(), base64.b64encode(secrets.token_bytes(32)).decode()
    )
    clock = Clock("Asia/Shanghai")
    clock.freeze(NOW)
    county_user = Principal(
        subject="bench", kind=PrincipalKind.USER, roles=frozenset({Role.COUNTY_APPROVER}), regions=(COUNTY_A,)
    )
    results: list[tuple[str, str]] = []
    try:
        await asyncio.to_thread(upgrade, "registry", url)
        started = time.perf_counter()
        _, villages, members = await load(dsn, vault, {COUNTY_A: households})
        await _history(dsn)
        load_seconds = time.perf_counter() - started
        database = Database(url, "registry", pool_size=2)
        async with database.sessionmaker() as session, session.begin():
            await sync_shipped(session)
        quality_seconds, _, findings = await quality_run(database, COUNTY_A, clock)
        results.append((f"data-quality run (setup; {findings:,} findings)", f"{quality_seconds:.1f} s"))

        _reset_peak()
        before = _memory_mb("VmRSS")
        async with database.sessionmaker() as session:
            started = time.perf_counter()
            archive = await records.county_archive(session, COUNTY_A, principal=county_user, clock=clock)
            path = await records_xlsx.archive_file(archive, clock)
            seconds = time.perf_counter() - started
        size = path.stat().st_size / 1e6
        path.unlink()
        results.append(
            (
                f"county archive XLSX ({households:,} households, {size:.1f} MB)",
                f"{seconds:.1f} s, RSS {before:.0f} MB, peak {_memory_mb('VmHWM'):.0f} MB",
            )
        )

        for output in ("json", "xlsx"):
            async with database.sessionmaker() as session:
                started = time.perf_counter()
                report = await reports.monthly_report(
                    session, COUNTY_A, MONTH, principal=county_user, clock=clock, paid_by_program=_paid
                )
                if output == "json":
                    report.model_dump_json()
                else:
                    reports_xlsx.report_workbook(report, clock)
                seconds = time.perf_counter() - started
            results.append(
                (f"monthly report of the county, {output.upper()} (12 months)", f"{seconds:.1f} s")
            )
        figures = report.trend[-1]
        results.append(
            (
                f"  its month: {figures.registered:,} registered, {figures.exited:,} exited, "
                f"{figures.under_visited:,} under-visited, {figures.short_of_measures:,} short of measures",
                "",
            )
        )

        township = villages[0][:9] + "000"
        async with database.sessionmaker() as session:
            started = time.perf_counter()
            book = await records.township_book(session, township, principal=county_user, clock=clock)
            records_xlsx.book_workbook(book, clock)
            seconds = time.perf_counter() - started
        results.append(
            (
                f"township book XLSX ({sum(len(rows) for rows in book.households.values()):,} households)",
                f"{seconds:.1f} s",
            )
        )
        await database.dispose()
    finally:
        admin = await asyncpg.connect(f"postgresql://{SERVER}/postgres")
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

    table = Table(
        title=f"Records and the monthly report: {households:,} households, {members:,} members "
        f"(loaded with a year of history in {load_seconds:.0f} s)"
    )
    table.add_column("measure")
    table.add_column("result", justify="right")
    for row in results:
        table.add_row(*row)
    Console(width=160).print(table)
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end "
        "(other work shares it)"
    )


def main() -> None:
    asyncio.run(main_async(int(os.environ.get("REPORTS_BENCH_HOUSEHOLDS", "100000"))))


if __name__ == "__main__":
    main()
