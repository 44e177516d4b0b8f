"""Field-survey sync through the gateway (入户调查同步): singles, batches and a replay storm.

Runs the system in separate mode against the local PostgreSQL: a fresh database, the gateway
and the registry as their own uvicorn processes (FUPIN_BENCH_REGISTRY_WORKERS registry workers,
default 2: one per core), and an asyncio httpx load generator.
"""

import asyncio
import base64
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from rich.console import Console
from rich.table import Table

from bench.cpu import PostgresCpu, process_cpu
from bench.generator import SyntheticCounty

PG_SERVER = os.environ.get("FUPIN_BENCH_PG", "postgres@127.0.0.1:5432")
COUNTY = "522627000000"
PASSWORD = "Bench-pass-2026"
SURVEYS = "/api/v1/surveys"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _admin_sql(sql: str) -> None:
    connection = await asyncpg.connect(f"postgresql://{PG_SERVER}/postgres")
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@dataclass
class SeparateSystem:
    gateway_url: str
    database: str
    pids: dict[str, list[int]]

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time used so far by each service's processes (from /proc)."""
        return {
            name: sum(process_cpu(child) or 0.0 for pid in pids for child in [pid, *_children(pid)])
            for name, pids in self.pids.items()
        }


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return []
    return [int(child) for child in found]


def _wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not become healthy")


@contextmanager
def separate_system(registry_workers: int = 1, *, eligibility: bool = False) -> Iterator[SeparateSystem]:
    """A fresh database, migrated, with the gateway, the registry and (if asked) eligibility under uvicorn."""
    database = f"fupin_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    asyncio.run(_admin_sql(f'CREATE DATABASE "{database}"'))
    url = f"postgresql+asyncpg://{PG_SERVER}/{database}"
    gateway_port, registry_port, eligibility_port = free_port(), free_port(), free_port()
    registry_secret, eligibility_secret = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    clients = {"registry": registry_secret, "eligibility": eligibility_secret}
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": url,
        "REGISTRY_DATABASE_URL": url,
        "ELIGIBILITY_DATABASE_URL": url,
        "SUBSIDY_DATABASE_URL": url,
        "FUPIN_ADMIN_PASSWORD": PASSWORD,
        "GATEWAY_REGISTRY_URL": f"http://127.0.0.1:{registry_port}",
        "GATEWAY_ELIGIBILITY_URL": f"http://127.0.0.1:{eligibility_port}",
        "GATEWAY_SERVICE_CLIENTS": json.dumps(clients),
        "REGISTRY_GATEWAY_URL": f"http://127.0.0.1:{gateway_port}",
        "REGISTRY_CLIENT_SECRET": registry_secret,
        "ELIGIBILITY_GATEWAY_URL": f"http://127.0.0.1:{gateway_port}",
        "ELIGIBILITY_CLIENT_SECRET": eligibility_secret,
        "ELIGIBILITY_REGISTRY_URL": f"http://127.0.0.1:{registry_port}",
        "REGISTRY_PII_ENCRYPTION_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "REGISTRY_PII_INDEX_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    processes: list[subprocess.Popen[bytes]] = []
    log_path = os.environ.get("FUPIN_BENCH_LOG", str(Path(tempfile.gettempdir()) / f"{database}.log"))
    log = Path(log_path).open("ab")  # noqa: SIM115 (closed when the processes are)
    try:
        subprocess.run(
            [sys.executable, "-m", "services.launcher", "prepare"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

        def serve(factory: str, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
            command = [
                sys.executable, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1",
                "--port", str(port), "--no-access-log", "--log-level", "warning",
                "--workers", str(workers),
            ]  # fmt: skip
            process = subprocess.Popen(command, env=env, stderr=log)  # noqa: S603 (our own interpreter)
            processes.append(process)
            return process

        gateway = serve("services.gateway.app:app_from_env", gateway_port)
        _wait_healthy(f"http://127.0.0.1:{gateway_port}", gateway)
        registry = serve("services.registry.app:app_from_env", registry_port, registry_workers)
        _wait_healthy(f"http://127.0.0.1:{registry_port}", registry)
        pids = {"gateway": [gateway.pid], "registry": [registry.pid]}
        if eligibility:
            assessing = serve("services.eligibility.app:app_from_env", eligibility_port)
            _wait_healthy(f"http://127.0.0.1:{eligibility_port}", assessing)
            pids["eligibility"] = [assessing.pid]
        yield SeparateSystem(f"http://127.0.0.1:{gateway_port}", database, pids)
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()
        asyncio.run(_admin_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


@dataclass
class Figures:
    label: str
    requests: int
    sent: int
    unique: int
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]
    cpu: dict[str, float]

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000 if ordered else 0.0


@dataclass(frozen=True)
class Job:
    """One request: a single survey, or a batch of them."""

    path: str
    body: dict[str, Any]
    submissions: int


async def _login(http: httpx.AsyncClient, username: str) -> str:
    response = await http.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


async def _cadres(http: httpx.AsyncClient, county: SyntheticCounty, count: int) -> list[str]:
    admin = await _login(http, "admin")
    tokens = []
    for index in range(count):
        username = f"bench.cadre{index}"
        response = await http.post(
            "/api/v1/users",
            headers={"authorization": f"Bearer {admin}"},
            json={
                "username": username,
                "display_name": username,
                "password": PASSWORD,
                "roles": ["cadre"],
                "regions": [county.county_code],
            },
        )
        response.raise_for_status()
        tokens.append(await _login(http, username))
    return tokens


async def _drive(
    label: str,
    system: SeparateSystem,
    http: httpx.AsyncClient,
    tokens: list[str],
    jobs: list[Job],
    concurrency: int,
    postgres: PostgresCpu,
) -> Figures:
    """Send the jobs from `concurrency` clients, each with its own cadre's token; time every request."""
    queue: asyncio.Queue[Job] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def client(index: int) -> None:
        # A resend comes from the phone that first sent it: the token follows the submission id.
        while not queue.empty():
            job = queue.get_nowait()
            token = tokens[hash(json.dumps(job.body, sort_keys=True)[:200]) % len(tokens)]
            started = time.perf_counter()
            response = await http.post(job.path, json=job.body, headers={"authorization": f"Bearer {token}"})
            latencies.append(time.perf_counter() - started)
            codes = (
                [item["status_code"] for item in response.json()["items"]]
                if response.status_code == 200 and job.path.endswith("/batch")
                else [response.status_code]
            )
            for code in codes:
                statuses[code] = statuses.get(code, 0) + 1

    cpu_before = _cpu_seconds(system, postgres)
    started = time.perf_counter()
    await asyncio.gather(*(client(index) for index in range(concurrency)))
    elapsed = time.perf_counter() - started
    cpu = {name: used - cpu_before[name] for name, used in _cpu_seconds(system, postgres).items()}
    sent = sum(job.submissions for job in jobs)
    unique = len({item["submission_id"] for job in jobs for item in _items(job)})
    return Figures(label, len(jobs), sent, unique, elapsed, latencies, statuses, cpu)


def _cpu_seconds(system: SeparateSystem, postgres: PostgresCpu) -> dict[str, float]:
    """CPU seconds so far of the services, the database's PostgreSQL backends and this load generator."""
    return {**system.cpu_seconds(), "postgres": postgres.seconds() or 0.0, "load": time.process_time()}


def _items(job: Job) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = job.body["submissions"] if job.path.endswith("/batch") else [job.body]
    return items


def _singles(bodies: list[dict[str, Any]], times: int = 1) -> list[Job]:
    jobs = [Job(SURVEYS, body, 1) for body in bodies for _ in range(times)]
    random.Random(7).shuffle(jobs)
    return jobs


def _batches(bodies: list[dict[str, Any]], size: int, times: int = 1) -> list[Job]:
    jobs = [
        Job(
            f"{SURVEYS}/batch",
            {"submissions": bodies[start : start + size]},
            len(bodies[start : start + size]),
        )
        for start in range(0, len(bodies), size)
        for _ in range(times)
    ]
    random.Random(8).shuffle(jobs)
    return jobs


async def _run(system: SeparateSystem, sizes: dict[str, int]) -> tuple[list[Figures], dict[str, int]]:
    county = SyntheticCounty(COUNTY, seed=99, townships=10, villages_per_township=20)
    concurrency = sizes["concurrency"]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=120, limits=limits) as http:
        # One cadre per phone: 8 cadres sending for 32 phones met the gateway's per-person limit
        # (600 requests a minute) in the replay storm, which measured the limiter, not the sync.
        tokens = await _cadres(http, county, concurrency)

        def bodies(count: int) -> list[dict[str, Any]]:
            return [household.survey(submission_id=uuid.uuid4()) for household in county.households(count)]

        postgres = PostgresCpu(PG_SERVER, system.database)
        postgres.start()

        async def drive(label: str, jobs: list[Job], clients: int) -> Figures:
            return await _drive(label, system, http, tokens, jobs, clients, postgres)

        results = []
        await drive("warm-up", _singles(bodies(200)), concurrency)
        single = bodies(sizes["singles"])
        results.append(await drive("single", _singles(single), concurrency))
        batched = bodies(sizes["batched"])
        results.append(await drive("batch of 100", _batches(batched, 100), sizes["batch_concurrency"]))
        storm = bodies(sizes["singles"])
        results.append(await drive("single, each ×3", _singles(storm, 3), concurrency))
        storm_batched = bodies(sizes["batched"])
        results.append(
            await drive("batch of 100, each ×3", _batches(storm_batched, 100, 3), sizes["batch_concurrency"])
        )
        await postgres.stop()
    sent_ids = {body["submission_id"] for group in (single, batched, storm, storm_batched) for body in group}
    backlog, left, drain_seconds = await _drain(system.database, sizes["drain_timeout"])
    stored = await _stored(system.database, len(sent_ids) + 200)
    return results, {
        **stored,
        "received after the run": backlog,
        "seconds to apply them": round(drain_seconds),
        "still received then": left,
        "applied per second meanwhile": round((backlog - left) / drain_seconds) if drain_seconds else 0,
    }


async def _drain(database: str, limit_seconds: float) -> tuple[int, int, float]:
    """(backlog when the load stopped, backlog at the end, seconds until it was empty or the limit)."""
    connection = await asyncpg.connect(f"postgresql://{PG_SERVER}/{database}")
    query = "SELECT count(*) FROM registry.survey_submissions WHERE status = 'received'"
    try:
        backlog = left = int(await connection.fetchval(query))
        started = time.perf_counter()
        for _ in range(int(limit_seconds)):
            left = int(await connection.fetchval(query))
            if not left:
                break
            await asyncio.sleep(1)  # the applier runs in the registry process: polling is all we can do
        return backlog, left, time.perf_counter() - started
    finally:
        await connection.close()


async def _stored(database: str, expected: int) -> dict[str, int]:
    """What the registry holds after the run: one submission per id, one household per new one."""
    connection = await asyncpg.connect(f"postgresql://{PG_SERVER}/{database}")
    try:
        row = await connection.fetchrow(
            """
            SELECT (SELECT count(*) FROM registry.survey_submissions) AS submissions,
                   (SELECT count(DISTINCT id) FROM registry.survey_submissions) AS distinct_ids,
                   (SELECT count(*) FROM registry.households) AS households,
                   (SELECT count(*) FROM registry.survey_submissions
                     WHERE status = 'accepted' AND base_version IS NULL) AS accepted_new,
                   (SELECT count(*) FROM (SELECT id_number_index FROM registry.members WHERE active
                     GROUP BY id_number_index HAVING count(*) > 1) AS twice) AS members_twice
            """
        )
    finally:
        await connection.close()
    return {"sent (distinct ids)": expected, **dict(row)}


def main() -> None:
    sizes = {
        "singles": int(os.environ.get("FUPIN_BENCH_SINGLES", "3000")),
        "batched": int(os.environ.get("FUPIN_BENCH_BATCHED", "10000")),
        "concurrency": int(os.environ.get("FUPIN_BENCH_CONCURRENCY", "32")),
        "batch_concurrency": int(os.environ.get("FUPIN_BENCH_BATCH_CONCURRENCY", "4")),
        "drain_timeout": int(os.environ.get("FUPIN_BENCH_DRAIN_TIMEOUT", "1200")),
    }
    workers = int(os.environ.get("FUPIN_BENCH_REGISTRY_WORKERS", "2"))  # one per core, as the import bench
    # The machine may be shared: the load around the run says how far its figures can be trusted.
    load_before = os.getloadavg()
    with separate_system(workers) as system:
        results, stored = asyncio.run(_run(system, sizes))
    load_after = os.getloadavg()
    table = Table(
        title=f"Survey sync through the gateway / 入户调查同步 ({os.cpu_count()} cores, "
        f"{sizes['concurrency']} clients for singles, {sizes['batch_concurrency']} for batches, "
        f"registry workers: {workers})"
    )
    for column in (
        "phase",
        "requests",
        "sent",
        "distinct",
        "seconds",
        "sent/s",
        "distinct/s",
        "p50 ms",
        "p99 ms",
    ):
        table.add_column(column)
    table.add_column("CPU ms per sent (gateway, registry, PostgreSQL, load generator)")
    table.add_column("statuses (per submission)")
    for figures in results:
        table.add_row(
            figures.label,
            f"{figures.requests:,}",
            f"{figures.sent:,}",
            f"{figures.unique:,}",
            f"{figures.seconds:.1f}",
            f"{figures.sent / figures.seconds:,.0f}",
            f"{figures.unique / figures.seconds:,.0f}",
            f"{figures.percentile(0.5):.0f}",
            f"{figures.percentile(0.99):.0f}",
            ", ".join(f"{used * 1000 / figures.sent:.2f}" for used in figures.cpu.values()),
            json.dumps(figures.statuses, sort_keys=True),
        )
    console = Console(width=220)
    console.print(table)
    console.print("stored after the run:", json.dumps(stored))
    console.print(
        "load average (1, 5, 15 min) before and after the run:",
        ", ".join(f"{value:.2f}" for value in load_before),
        "/",
        ", ".join(f"{value:.2f}" for value in load_after),
    )


if __name__ == "__main__":
    main()
