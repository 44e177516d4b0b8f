"""A whole running system for a test: four apps, the gateway on a real port, a test API client."""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import uvicorn
from sqlalchemy import func, select

from services.gateway.bootstrap import ensure_admin
from services.gateway.config import GatewaySettings
from services.launcher.system import System, SystemSecrets, build_system
from tests.support.bank import BankControl, free_port

ADMIN_PASSWORD = "Root-pass-2026"
PASSWORD = "Fupin-test-2026"
T = TypeVar("T")


class Api:
    """The public API through the gateway, as clients use it."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30)

    async def login(self, username: str, password: str = PASSWORD, device_id: str = "test-device") -> str:
        response = await self.http.post(
            "/api/v1/auth/login", json={"username": username, "password": password, "device_id": device_id}
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    async def create_user(self, admin_token: str, username: str, roles: list[str], regions: list[str]) -> str:
        """Create a user and return a fresh access token for them."""
        response = await self.http.post(
            "/api/v1/users",
            headers=auth(admin_token),
            json={
                "username": username,
                "display_name": username,
                "password": PASSWORD,
                "roles": roles,
                "regions": regions,
            },
        )
        assert response.status_code == 201, response.text
        return await self.login(username)


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def eventually(probe: Callable[[], Awaitable[T | None]], within: float = 15.0) -> T:
    """Poll until `probe` returns something truthy (background feeds and callbacks are asynchronous)."""
    deadline = time.monotonic() + within
    while True:
        value = await probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


@dataclass
class RunningSystem:
    system: System
    api: Api
    bank: BankControl
    secrets: SystemSecrets
    gateway_url: str
    admin_token: str

    def app(self, name: str) -> Any:
        return self.system.apps[name]

    async def rows(self, service: str, model: type) -> int:
        """How many rows a service's table holds now."""
        async with self.app(service).state.database.sessionmaker() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@asynccontextmanager
async def running_system(
    database_urls: dict[str, str], bank_url: str, **options: Any
) -> AsyncIterator[RunningSystem]:
    system_secrets = SystemSecrets.generate()
    system = build_system(
        database_urls,
        system_secrets,
        bank_url=bank_url,
        feed_poll_seconds=0.05,
        dispatch_retry_seconds=options.pop("dispatch_retry_seconds", 0.5),
        **options,
    )
    await ensure_admin(
        system.gateway.state.database,
        GatewaySettings(database_url=database_urls["gateway"]),
        "admin",
        ADMIN_PASSWORD,
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(system.gateway, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    gateway_url = f"http://127.0.0.1:{port}"
    bank = BankControl(bank_url)
    await bank.reset(f"{gateway_url}/api/v1/bank/callbacks", system_secrets.bank_webhook_secret)
    async with system.running():
        serving = asyncio.create_task(server.serve())
        await eventually(lambda: asyncio.sleep(0.01, server.started), within=10)
        api = Api(gateway_url)
        try:
            admin_token = await api.login("admin", ADMIN_PASSWORD)
            yield RunningSystem(system, api, bank, system_secrets, gateway_url, admin_token)
        finally:
            await api.http.aclose()
            await bank.aclose()
            server.should_exit = True
            await serving
