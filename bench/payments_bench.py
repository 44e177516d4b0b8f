"""100,000 subsidy payments end to end: prepared, sent to the bank in batches, called back, reconciled.

Runs on the local PostgreSQL (a fresh database), the four apps in this process with the gateway on a
real port (the bank calls back through it), and the bank simulator as its own process injecting
faults: a share of batch calls answered 503 and a share accepted but left hanging past our timeout.
Set-up (households, enrolments, cached payees) is not timed; the four phases are.

Conditions worth knowing when reading the figures: the payee (一卡通) cache is warm, as for a
monthly program paid every month; on a cold month each new household costs one registry lookup.
"""

import asyncio
import datetime as dt
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import uvicorn
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, insert, select

from services.kit.auth import Principal, PrincipalKind
from services.kit.migrations import SERVICES
from services.launcher.system import SystemSecrets, build_system, migrate_all
from services.subsidy.funds.service import create_fund_source
from services.subsidy.jobs.service import run_period
from services.subsidy.models import Enrolment, HouseholdStatus, LedgerEntry, Payee, Payment
from services.subsidy.programs.service import create_program
from services.subsidy.reconciliation.service import import_statement
from services.subsidy.schemas import FundSourceCreate, ProgramCreate

PG_SERVER = os.environ.get("FUPIN_BENCH_PG", "postgres@127.0.0.1:5432")
PAYMENTS = int(os.environ.get("FUPIN_BENCH_PAYMENTS", "100000"))
PEOPLE_PER_HOUSEHOLD = 2
COUNTY = "522627000000"
FAIL_RATE, TIMEOUT_RATE = 0.05, 0.05
ADMIN = Principal(subject="bench", kind=PrincipalKind.USER, roles=frozenset({"admin"}))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def admin_sql(sql: str) -> None:
    connection = await asyncpg.connect(f"postgresql://{PG_SERVER}/postgres")
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def seed(database: Any, payments: int) -> uuid.UUID:
    """A county's public-welfare-job program with `payments` people enrolled, households registered."""
    households = payments // PEOPLE_PER_HOUSEHOLD
    villages = [f"522627{t:03d}{v:03d}" for t in range(1, 11) for v in range(201, 221)]
    async with database.sessionmaker() as session, session.begin():
        await create_fund_source(
            session,
            FundSourceCreate(
                code="bench-fund",
                name_zh="中央财政专项扶贫资金",
                level="central",
                county_code=COUNTY,
                year=2026,
                document_no="bench",
                granted_fen=payments * 20_000,
            ),
            actor=ADMIN,
        )
        program = await create_program(
            session,
            ProgramCreate(
                code="bench-jobs",
                name_zh="公益性岗位补助",
                kind="monthly",
                scheme_code="public-welfare-jobs",
                fund_source="bench-fund",
                county_code=COUNTY,
                year=2026,
                budget_fen=payments * 20_000,
            ),
            actor=ADMIN,
        )
        program_id = program.id
    now = dt.datetime.now(dt.UTC)
    ids = [uuid.uuid4() for _ in range(households)]
    rows_status = [
        {
            "household_id": h,
            "household_version": 1,
            "village_code": villages[n % len(villages)],
            "status": "registered",
            "exit_year": None,
            "updated_at": now,
        }
        for n, h in enumerate(ids)
    ]
    rows_payee = [
        {
            "household_id": h,
            "account_name": f"户主{n}",
            "bank_name": "贵州省农村信用社",
            "account_number": f"62{n:017d}",
            "fetched_at": now,
        }
        for n, h in enumerate(ids)
    ]
    rows_enrolment = [
        {
            "id": uuid.uuid4(),
            "program_id": program_id,
            "household_id": h,
            "village_code": villages[n % len(villages)],
            "member_id": uuid.uuid4(),
            "employer": "镇环卫所",
            "position": "保洁员",
            "contract_start": dt.date(2026, 1, 1),
            "contract_end": dt.date(2029, 1, 1),
            "monthly_fen": 10_000,
            "created_by": "bench",
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        for n, h in enumerate(ids)
        for _ in range(PEOPLE_PER_HOUSEHOLD)
    ]
    async with database.sessionmaker() as session, session.begin():
        for model, rows in ((HouseholdStatus, rows_status), (Payee, rows_payee), (Enrolment, rows_enrolment)):
            for start in range(0, len(rows), 5000):
                await session.execute(insert(model), rows[start : start + 5000])
    return program_id


async def count(database: Any, *conditions: Any) -> int:
    async with database.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(Payment).where(*conditions)) or 0)


async def until(counter: Callable[[], Awaitable[int]], target: int) -> None:
    """Poll the database until the count reaches the target (the work happens in background workers)."""
    while True:
        if await counter() == target:
            return
        await asyncio.sleep(0.5)


async def run() -> list[tuple[str, float, str]]:
    name = f"fupin_bench_pay_{os.getpid()}"
    await admin_sql(f'CREATE DATABASE "{name}"')
    bank_port, gateway_port = free_port(), free_port()
    bank = subprocess.Popen(  # noqa: ASYNC220, S603 - our own simulator, started before the clock runs
        [sys.executable, "-m", "tools.bank_simulator", "--port", str(bank_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results: list[tuple[str, float, str]] = []
    try:
        urls = dict.fromkeys(SERVICES, f"postgresql+asyncpg://{PG_SERVER}/{name}")
        await asyncio.to_thread(migrate_all, urls)
        secrets = SystemSecrets.generate()
        system = build_system(
            urls, secrets, bank_url=f"http://127.0.0.1:{bank_port}", dispatch_retry_seconds=2.0
        )
        subsidy = system.apps["subsidy"]
        database = subsidy.state.database
        server = uvicorn.Server(
            uvicorn.Config(
                system.gateway, host="127.0.0.1", port=gateway_port, lifespan="off", log_level="error"
            )
        )
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{bank_port}", timeout=120) as control:
            for _ in range(100):
                try:
                    await control.get("/health")
                    break
                except httpx.HTTPError:
                    await asyncio.sleep(0.1)
            await control.post(
                "/_control/reset",
                json={
                    "callback_url": f"http://127.0.0.1:{gateway_port}/api/v1/bank/callbacks",
                    "secret": secrets.bank_webhook_secret,
                    "faults": {
                        "fail_rate": FAIL_RATE,
                        "timeout_after_accept_rate": TIMEOUT_RATE,
                        "hang_seconds": 6.0,
                    },
                },
            )
            async with system.running():
                serving = asyncio.create_task(server.serve())
                dispatcher = subsidy.state.dispatcher
                await dispatcher.stop()  # started below, when the clock runs
                try:
                    started = time.perf_counter()
                    program_id = await seed(database, PAYMENTS)
                    results.append(
                        (
                            "set-up (not in the total)",
                            time.perf_counter() - started,
                            f"{PAYMENTS:,} enrolments",
                        )
                    )

                    clock = time.perf_counter()
                    async with database.sessionmaker() as session, session.begin():
                        outcome = await run_period(session, program_id, "2026-06", actor=ADMIN)
                    prepared = time.perf_counter()
                    results.append(
                        (
                            "1. prepare (set-based month run)",
                            prepared - clock,
                            f"{outcome.created:,} payments",
                        )
                    )

                    dispatcher.start()
                    await until(lambda: count(database, Payment.status.in_(("queued", "sending"))), 0)
                    sent = time.perf_counter()
                    results.append(
                        (
                            "2. sent to the bank in batches",
                            sent - prepared,
                            f"batch size {dispatcher.batch_size}",
                        )
                    )
                    await until(lambda: count(database, Payment.status == "paid"), outcome.created)
                    called_back = time.perf_counter()
                    results.append(("3. called back / polled, settled", called_back - sent, "all paid"))

                    statement = (await control.get("/v1/statements", params={"format": "csv"})).content
                    async with database.sessionmaker() as session, session.begin():
                        summary = await import_statement(
                            session, statement, "csv", actor=None, actor_name="bench"
                        )
                    done = time.perf_counter()
                    results.append(
                        ("4. statement fetched and reconciled", done - called_back, f"{summary.summary}")
                    )
                    results.append(
                        (
                            "end to end (1–4)",
                            done - clock,
                            f"{outcome.created / (done - clock):,.0f} payments/s",
                        )
                    )

                    stats = (await control.get("/_control/stats")).json()
                    async with database.sessionmaker() as session:
                        paid_legs = await session.scalar(
                            select(func.count()).where(LedgerEntry.account.startswith("paid:"))
                        )
                    results.append(
                        (
                            "bank batches received (with faults)",
                            float(stats["batches_received"]),
                            f"{FAIL_RATE:.0%} 503 + {TIMEOUT_RATE:.0%} hang",
                        )
                    )
                    results.append(
                        (
                            "max settlements of one payment",
                            float(stats["max_settlements_per_payment"]),
                            "must be 1",
                        )
                    )
                    results.append(
                        ("ledger legs into paid:", float(paid_legs or 0), f"must be {outcome.created:,}")
                    )
                finally:
                    server.should_exit = True
                    await serving
    finally:
        bank.terminate()
        bank.wait(timeout=10)
        await admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return results


def main() -> None:
    results = asyncio.run(run())
    table = Table(
        title=f"Subsidy payments end to end / 资金发放全流程 "
        f"({PAYMENTS:,} payments, PostgreSQL, {os.cpu_count()} cores)"
    )
    table.add_column("phase")
    table.add_column("seconds / count", justify="right")
    table.add_column("notes")
    for phase, value, note in results:
        table.add_row(phase, f"{value:,.2f}" if value % 1 else f"{value:,.0f}", note)
    Console().print(table)


if __name__ == "__main__":
    main()
