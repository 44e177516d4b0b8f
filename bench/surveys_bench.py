"""Field-survey sync through the gateway (入户调查同步): singles, batches and a replay storm.

Runs the system in separate mode against the local PostgreSQL: a fresh database, the gateway
and the registry as their own uvicorn processes, and an asyncio httpx load generator.
"""

import asyncio
import base64
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
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

from bench.generator import SyntheticCounty

PG_SERVER = os.environ.get("FUPIN_BENCH_PG", "postgres@127.0.0.1:5432")
COUNTY = "522627000000"
PASSWORD = "Bench-pass-2026"


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
        """CPU time used so far by each service's processes (from /proc), and by PostgreSQL."""
        ticks = os.sysconf("SC_CLK_TCK")
        used = {}
        for name, pids in self.pids.items():
            total = 0
            for pid in pids:
                for child in [pid, *_children(pid)]:
                    try:
                        fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
                    except FileNotFoundError:
                        continue
                    total += int(fields[11]) + int(fields[12])
            used[name] = total / ticks
        return used


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
def separate_system(registry_workers: int = 1) -> Iterator[SeparateSystem]:
    """A fresh database, migrated, with the gateway and the registry under uvicorn."""
    database = f"fupin_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    asyncio.run(_admin_sql(f'CREATE DATABASE "{database}"'))
    url = f"postgresql+asyncpg://{PG_SERVER}/{database}"
    gateway_port, registry_port = free_port(), free_port()
    registry_secret = secrets.token_urlsafe(32)
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": url,
        "REGISTRY_DATABASE_URL": url,
        "ELIGIBILITY_DATABASE_URL": url,
        "SUBSIDY_DATABASE_URL": url,
        "FUPIN_ADMIN_PASSWORD": PASSWORD,
        "GATEWAY_REGISTRY_URL": f"http://127.0.0.1:{registry_port}",
        "GATEWAY_SERVICE_CLIENTS": json.dumps({"registry": registry_secret}),
        "REGISTRY_GATEWAY_URL": f"http://127.0.0.1:{gateway_port}",
        "REGISTRY_CLIENT_SECRET": registry_secret,
        "REGISTRY_PII_ENCRYPTION_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "REGISTRY_PII_INDEX_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    processes: list[subprocess.Popen[bytes]] = []
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
            process = subprocess.Popen(command, env=env)  # noqa: S603 (our own interpreter and modules)
            processes.append(process)
            return process

        gateway = serve("services.gateway.app:app_from_env", gateway_port)
        _wait_healthy(f"http://127.0.0.1:{gateway_port}", gateway)
        registry = serve("services.registry.app:app_from_env", registry_port, registry_workers)
        _wait_healthy(f"http://127.0.0.1:{registry_port}", registry)
        yield SeparateSystem(
            f"http://127.0.0.1:{gateway_port}",
            database,
            {"gateway": [gateway.pid], "registry": [registry.pid]},
        )
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        asyncio.run(_admin_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


@dataclass
class Figures:
    label: str
    requests: int
    submissions: int
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]
    cpu: dict[str, float]

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000 if ordered else 0.0


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
    jobs: list[tuple[str, Any, int]],
    concurrency: int,
) -> Figures:
    """Send (path, body, submissions in it) jobs from `concurrency` clients; time every request."""
    queue: asyncio.Queue[tuple[str, Any, int]] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def client(index: int) -> None:
        headers = {"authorization": f"Bearer {tokens[index % len(tokens)]}"}
        while not queue.empty():
            path, body, _count = queue.get_nowait()
            started = time.perf_counter()
            response = await http.post(path, json=body, headers=headers)
            latencies.append(time.perf_counter() - started)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    cpu_before = system.cpu_seconds()
    started = time.perf_counter()
    await asyncio.gather(*(client(index) for index in range(concurrency)))
    elapsed = time.perf_counter() - started
    cpu = {name: used - cpu_before[name] for name, used in system.cpu_seconds().items()}
    return Figures(label, len(jobs), sum(job[2] for job in jobs), elapsed, latencies, statuses, cpu)


async def _run(system: SeparateSystem, singles: int, concurrency: int) -> list[Figures]:
    county = SyntheticCounty(COUNTY, seed=99, townships=10, villages_per_township=20)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=60, limits=limits) as http:
        tokens = await _cadres(http, county, 8)
        bodies = [household.survey() for household in county.households(singles)]
        warmup = [("/api/v1/surveys", body, 1) for body in bodies[:200]]
        await _drive("warm-up", system, http, tokens, warmup, concurrency)
        jobs = [("/api/v1/surveys", body, 1) for body in bodies[200:]]
        return [await _drive("single", system, http, tokens, jobs, concurrency)]


def main() -> None:
    singles = int(os.environ.get("FUPIN_BENCH_SINGLES", "3000"))
    concurrency = int(os.environ.get("FUPIN_BENCH_CONCURRENCY", "32"))
    workers = int(os.environ.get("FUPIN_BENCH_REGISTRY_WORKERS", "1"))
    with separate_system(workers) as system:
        results = asyncio.run(_run(system, singles, concurrency))
    table = Table(title=f"Survey sync through the gateway / 入户调查同步 ({os.cpu_count()} cores)")
    for column in ("phase", "requests", "submissions", "seconds", "submissions/s", "p50 ms", "p99 ms"):
        table.add_column(column)
    table.add_column("CPU ms/submission (gateway, registry)")
    table.add_column("statuses")
    for figures in results:
        table.add_row(
            figures.label,
            f"{figures.requests:,}",
            f"{figures.submissions:,}",
            f"{figures.seconds:.2f}",
            f"{figures.submissions / figures.seconds:,.0f}",
            f"{figures.percentile(0.5):.0f}",
            f"{figures.percentile(0.99):.0f}",
            ", ".join(f"{used * 1000 / figures.submissions:.2f}" for used in figures.cpu.values()),
            json.dumps(figures.statuses),
        )
    Console().print(table)


if __name__ == "__main__":
    main()
