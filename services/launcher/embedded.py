"""Embedded mode: the whole system in one process on SQLite files, plus the bank simulator."""

import asyncio
import contextlib
import os
from pathlib import Path

import uvicorn
from rich.console import Console
from rich.panel import Panel

from services.gateway.bootstrap import ensure_admin
from services.gateway.config import GatewaySettings
from services.kit.migrations import SERVICES
from services.kit.observability import configure_logging
from services.launcher.system import SystemSecrets, build_system, migrate_all
from tools.bank_simulator.app import create_app as create_bank

console = Console()


def sqlite_urls(data_dir: Path) -> dict[str, str]:
    return {name: f"sqlite+aiosqlite:///{data_dir / f'{name}.db'}" for name in SERVICES}


async def serve(data_dir: Path, host: str, port: int, bank_port: int) -> None:
    await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    system_secrets = await asyncio.to_thread(SystemSecrets.load_or_create, data_dir / "secrets.json")
    urls = sqlite_urls(data_dir)
    await asyncio.to_thread(migrate_all, urls)
    bank_url = f"http://127.0.0.1:{bank_port}"
    system = build_system(urls, system_secrets, bank_url=bank_url)
    gateway = system.gateway
    generated = await ensure_admin(
        gateway.state.database,
        GatewaySettings(database_url=urls["gateway"]),
        os.environ.get("FUPIN_ADMIN_USERNAME", "admin"),
        os.environ.get("FUPIN_ADMIN_PASSWORD"),
    )
    bank = create_bank(f"http://127.0.0.1:{port}/api/v1/bank/callbacks", system_secrets.bank_webhook_secret)
    servers = [
        uvicorn.Server(uvicorn.Config(gateway, host=host, port=port, lifespan="off", log_level="warning")),
        uvicorn.Server(
            uvicorn.Config(bank, host="127.0.0.1", port=bank_port, lifespan="off", log_level="warning")
        ),
    ]
    async with system.running():
        lines = [
            f"Gateway 网关:        http://{host}:{port}  (API docs: http://{host}:{port}/docs)",
            f"Bank simulator 银行模拟器: {bank_url}",
            f"Data 数据目录:        {data_dir}",
        ]
        if generated:
            lines.append(f"First admin 初始管理员: admin / {generated}   (shown once / 仅显示一次)")
        console.print(Panel("\n".join(lines), title="Fupin 扶贫平台 is running", border_style="green"))
        await asyncio.gather(*(server.serve() for server in servers))


def run(data_dir: Path, host: str, port: int, bank_port: int) -> None:
    configure_logging(os.environ.get("FUPIN_LOG_LEVEL", "WARNING"))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(data_dir.resolve(), host, port, bank_port))
