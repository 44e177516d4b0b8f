"""100,000 subsidy payments end to end: prepared, sent to the bank in batches, called back, reconciled.

Runs on the local PostgreSQL (a fresh database), the four apps in this process with the gateway on a
real port (the bank calls back through it), and the bank simulator as its own process injecting
faults: a share of batch calls answered 503 and a share accepted but left hanging past our timeout.
Set-up (households, enrolments, cached payees) is not timed; the four phases are.

Conditions worth knowing when reading the figures: the payee (一卡通) cache is warm, as for a
monthly program paid every month; on a cold month each new household costs one registry lookup.
Each phase also shows the CPU seconds spent in this process, in the bank simulator and in the
PostgreSQL backends serving the bench database (read from /proc; "n/a" when PostgreSQL is remote),
and the load average, so figures taken on a busy machine can be judged.
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
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import uvicorn
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, insert, select

from bench.cpu import PostgresCpu, process_cpu
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


class CpuMeter:
    """CPU seconds used so far by this process, the bank simulator and the bench database's backends."""

    def __init__(self, database: str, bank_pid: int) -> None:
        self.bank_pid = bank_pid
        self.postgres = PostgresCpu(PG_SERVER, database)

    def start(self) -> None:
        self.postgres.start()

    async def stop(self) -> None:
        await self.postgres.stop()

    def now(self) -> tuple[float, float | None, float | None]:
        return time.process_time(), process_cpu(self.bank_pid), self.postgres.seconds()


@dataclass
class Phase:
    name: str
    seconds: float
    note: str
    cpu: tuple[float | None, ...] = ()


@dataclass
class Clock:
    """Wall and CPU time per phase, each phase measured from the end of the one before."""

    meter: CpuMeter
    phases: list[Phase] = field(default_factory=list)
    _wall: float = 0.0
    _cpu: tuple[float | None, ...] = ()

    def restart(self) -> None:
        self._wall, self._cpu = time.perf_counter(), self.meter.now()

    def mark(self, name: str, note: str) -> float:
        wall, cpu = time.perf_counter(), self.meter.now()
        used = tuple(
            None if after is None or before is None else after - before
            for after, before in zip(cpu, self._cpu, strict=True)
        )
        self.phases.append(Phase(name, wall - self._wall, note, used))
        self._wall, self._cpu = wall, cpu
        return wall


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


@dataclass
class Outcome:
    phases: list[Phase]
    checks: list[tuple[str, float, str]]
    load: tuple[float, float]


async def run() -> Outcome:
    name = f"fupin_bench_pay_{os.getpid()}"
    await admin_sql(f'CREATE DATABASE "{name}"')
    if os.environ.get("PGLOG"):
        await admin_sql(f'ALTER DATABASE "{name}" SET log_min_duration_statement = 0')
        await admin_sql(f'ALTER DATABASE "{name}" SET log_parameter_max_length = 0')
    bank_port, gateway_port = free_port(), free_port()
    bank = subprocess.Popen(  # noqa: ASYNC220, S603 - our own simulator, started before the clock runs
        [sys.executable, "-m", "tools.bank_simulator", "--port", str(bank_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    meter = CpuMeter(name, bank.pid)
    clock = Clock(meter)
    checks: list[tuple[str, float, str]] = []
    load_before = os.getloadavg()[0]
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
            meter.start()
            async with system.running():
                serving = asyncio.create_task(server.serve())
                dispatcher = subsidy.state.dispatcher
                await dispatcher.stop()  # started below, when the clock runs
                try:
                    clock.restart()
                    program_id = await seed(database, PAYMENTS)
                    clock.mark("set-up (not in the total)", f"{PAYMENTS:,} enrolments")
                    await asyncio.sleep(1.0)  # let the backends' last samples in

                    clock.restart()
                    async with database.sessionmaker() as session, session.begin():
                        outcome = await run_period(session, program_id, "2026-06", actor=ADMIN)
                    clock.mark("1. prepare (set-based month run)", f"{outcome.created:,} payments")

                    dispatcher.start()
                    await until(lambda: count(database, Payment.status.in_(("queued", "sending"))), 0)
                    clock.mark("2. sent to the bank in batches", f"batch size {dispatcher.batch_size}")
                    await until(lambda: count(database, Payment.status == "paid"), outcome.created)
                    clock.mark("3. called back / polled, settled", "all paid")

                    statement = (await control.get("/v1/statements", params={"format": "csv"})).content
                    async with database.sessionmaker() as session, session.begin():
                        summary = await import_statement(
                            session, statement, "csv", actor=None, actor_name="bench"
                        )
                    clock.mark("4. statement fetched and reconciled", f"{summary.summary}")

                    stats = (await control.get("/_control/stats")).json()
                    async with database.sessionmaker() as session:
                        paid_legs = await session.scalar(
                            select(func.count()).where(LedgerEntry.account.startswith("paid:"))
                        )
                    checks += [
                        (
                            "bank batches received (with faults)",
                            float(stats["batches_received"]),
                            f"{FAIL_RATE:.0%} 503 + {TIMEOUT_RATE:.0%} hang",
                        ),
                        (
                            "max settlements of one payment",
                            float(stats["max_settlements_per_payment"]),
                            "must be 1",
                        ),
                        ("ledger legs into paid:", float(paid_legs or 0), f"must be {outcome.created:,}"),
                    ]
                finally:
                    server.should_exit = True
                    await serving
                    await meter.stop()
    finally:
        bank.terminate()
        bank.wait(timeout=10)
        await admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return Outcome(clock.phases, checks, (load_before, os.getloadavg()[0]))


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f}"


def main() -> None:
    outcome = asyncio.run(run())
    timed = [phase for phase in outcome.phases if not phase.name.startswith("set-up")]
    wall = sum(phase.seconds for phase in timed)
    cpu = tuple(
        None if any(phase.cpu[n] is None for phase in timed) else sum(phase.cpu[n] or 0.0 for phase in timed)
        for n in range(3)
    )
    rows = [*outcome.phases, Phase("end to end (1–4)", wall, f"{PAYMENTS / wall:,.0f} payments/s", cpu)]
    table = Table(
        title=f"Subsidy payments end to end / 资金发放全流程 ({PAYMENTS:,} payments, PostgreSQL, "
        f"{os.cpu_count()} cores, load average {outcome.load[0]:.1f} before, {outcome.load[1]:.1f} after)"
    )
    for column in ("phase", "wall s", "CPU s ours", "CPU s bank", "CPU s PostgreSQL", "notes"):
        table.add_column(column, justify="left" if column in ("phase", "notes") else "right")
    for phase in rows:
        table.add_row(phase.name, f"{phase.seconds:,.2f}", *map(_seconds, phase.cpu), phase.note)
    for check, value, note in outcome.checks:
        table.add_row(check, f"{value:,.0f}", "", "", "", note)
    Console(width=200).print(table)


if __name__ == "__main__":
    main()
