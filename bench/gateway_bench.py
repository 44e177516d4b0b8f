"""Gateway speed: argon2id cost, login latency end to end, and what verifying a token adds to a request.

Runs the gateway app alone in this process (httpx ASGI transport, no network) against SQLite in a
temporary directory, or against BENCH_GATEWAY_DATABASE_URL (an empty, throw-away PostgreSQL database).
"""

import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from bench.timing import percentiles
from services.gateway.app import create_app
from services.gateway.auth.passwords import Passwords
from services.gateway.bootstrap import ensure_admin
from services.gateway.config import GatewaySettings
from services.kit.migrations import upgrade

PASSWORD = "Bench-pass-2026"
LOGINS = 60
REQUESTS = 2000
VERIFICATIONS = 5000


async def timed(call: Callable[[], Awaitable[object]], times: int) -> list[float]:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return samples


async def run(database_url: str) -> Table:
    settings = GatewaySettings(
        database_url=database_url,
        run_background_tasks=False,
        rate_limit_user_requests=10**9,
        rate_limit_anonymous_requests=10**9,
        rate_limit_sign_in_requests=10**9,
    )
    app = create_app(settings)
    passwords = Passwords(settings)
    table = Table(title=f"Gateway / 网关 ({'PostgreSQL' if 'postgresql' in database_url else 'SQLite'})")
    for column in ("measure", "n", "p50 ms", "p95 ms", "p99 ms"):
        table.add_column(column)

    hashed = await passwords.hash(PASSWORD)
    argon = await timed(lambda: passwords.verify(hashed, PASSWORD), LOGINS)
    cost = (
        f"t={settings.argon2_time_cost}, m={settings.argon2_memory_kib} KiB, p={settings.argon2_parallelism}"
    )
    table.add_row(f"argon2id verify ({cost})", str(LOGINS), *(f"{v:.1f}" for v in percentiles(argon)))

    async with app.router.lifespan_context(app):
        await ensure_admin(app.state.database, settings, "admin", PASSWORD)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            body = {"username": "admin", "password": PASSWORD, "device_id": "bench"}

            async def login() -> httpx.Response:
                response = await http.post("/api/v1/auth/login", json=body)
                assert response.status_code == 200, response.text
                return response

            await login()
            logins = await timed(login, LOGINS)
            table.add_row(
                "POST /api/v1/auth/login (whole request)",
                str(LOGINS),
                *(f"{v:.1f}" for v in percentiles(logins)),
            )

            token = (await login()).json()["access_token"]
            verifier = app.state.token_verifier
            await verifier.verify(token)
            verify = await timed(lambda: verifier.verify(token), VERIFICATIONS)
            table.add_row(
                "TokenVerifier.verify (ES256, pinned)",
                str(VERIFICATIONS),
                *(f"{v:.3f}" for v in percentiles(verify)),
            )

            bearer = {"authorization": f"Bearer {token}"}
            without: list[float] = []
            with_token: list[float] = []
            for _ in range(REQUESTS):  # interleaved, so a load change on the machine hits both alike
                without += await timed(lambda: http.get("/api/v1/auth/jwks"), 1)
                with_token += await timed(lambda: http.get("/api/v1/auth/jwks", headers=bearer), 1)
            table.add_row(
                "GET /api/v1/auth/jwks, no token", str(REQUESTS), *(f"{v:.2f}" for v in percentiles(without))
            )
            table.add_row(
                "GET /api/v1/auth/jwks, token checked by the guard",
                str(REQUESTS),
                *(f"{v:.2f}" for v in percentiles(with_token)),
            )
            added = (statistics.median(with_token) - statistics.median(without)) * 1000
            table.add_row("  = added by verifying the token (median difference)", "", f"{added:.2f}", "", "")
    return table


def main() -> None:
    url = os.environ.get("BENCH_GATEWAY_DATABASE_URL")
    with tempfile.TemporaryDirectory() as directory:
        if not url:
            url = f"sqlite+aiosqlite:///{Path(directory) / 'gateway.db'}"
        upgrade("gateway", url)
        table = asyncio.run(run(url))
    Console().print(table)
    print(f"cores: {os.cpu_count()}; sequential requests, one client, in-process ASGI transport")


if __name__ == "__main__":
    main()
