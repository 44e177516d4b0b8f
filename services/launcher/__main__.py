"""`python -m services.launcher`: run everything embedded, or prepare a separate deployment."""

import asyncio
import os
from pathlib import Path
from typing import Annotated

import typer

from services.gateway.bootstrap import ensure_admin
from services.gateway.config import GatewaySettings
from services.kit.database import Database
from services.kit.errors import AppError
from services.kit.migrations import SERVICES, upgrade
from services.launcher import embedded

cli = typer.Typer(help="Fupin launcher / 扶贫平台启动器", no_args_is_help=False, add_completion=False)


def refused(error: AppError) -> typer.Exit:
    """A start-up setting the rules refuse (say, a weak FUPIN_ADMIN_PASSWORD): say why, exit 2."""
    typer.echo(f"{error.detail_zh or ''} {error.detail}".strip(), err=True)
    return typer.Exit(2)


@cli.callback(invoke_without_command=True)
def main(ctx: typer.Context) -> None:
    """Without a command: run the embedded system."""
    if ctx.invoked_subcommand is None:
        run(Path(os.environ.get("FUPIN_DATA_DIR", "data")))


@cli.command()
def run(
    data_dir: Annotated[Path, typer.Option(envvar="FUPIN_DATA_DIR", help="SQLite files and secrets")] = Path(
        "data"
    ),
    host: str = "127.0.0.1",
    port: int = 8000,
    bank_port: int = 8001,
) -> None:
    """Run all four services in one process on SQLite, with the bank simulator (一键运行)."""
    try:
        embedded.run(data_dir, host, port, bank_port)
    except AppError as error:
        raise refused(error) from error


@cli.command()
def prepare() -> None:
    """Separate mode, one-shot: migrate every schema ({SERVICE}_DATABASE_URL), create the first admin."""
    for service in SERVICES:
        upgrade(service, os.environ[f"{service.upper()}_DATABASE_URL"])
        typer.echo(f"migrated {service}")
    settings = GatewaySettings()

    async def admin() -> str | None:
        database = Database(settings.database_url, settings.db_schema, 1)
        try:
            return await ensure_admin(
                database,
                settings,
                os.environ.get("FUPIN_ADMIN_USERNAME", "admin"),
                os.environ.get("FUPIN_ADMIN_PASSWORD"),
            )
        finally:
            await database.dispose()

    try:
        generated = asyncio.run(admin())
    except AppError as error:
        raise refused(error) from error
    if generated:
        typer.echo(f"first admin: admin / {generated} (shown once)")


if __name__ == "__main__":
    cli()
