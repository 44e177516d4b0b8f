"""Alembic plumbing shared by the four migration environments (one per service schema)."""

import asyncio
import os
from pathlib import Path
from typing import Any, Literal

from alembic import command, context
from alembic.autogenerate.api import AutogenContext
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from services.kit.database import UTCDateTime, create_engine

ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"
SERVICES = ("gateway", "registry", "eligibility", "subsidy")


def alembic_config(service: str, url: str | None = None) -> Config:
    config = Config(str(ALEMBIC_INI), ini_section=service)
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade(service: str, url: str, revision: str = "head") -> None:
    """Bring one service's schema up to `revision` (call outside a running event loop)."""
    command.upgrade(alembic_config(service, url), revision)


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write our column types as plain SQLAlchemy types, so migrations never import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_environment(service: str, metadata: MetaData) -> None:
    """Body of migrations/<service>/env.py: migrate that service's schema, with its own version table."""
    config = context.config
    url = config.get_main_option("sqlalchemy.url") or os.environ[f"{service.upper()}_DATABASE_URL"]

    def migrate(connection: Connection) -> None:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{service}"'))
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table=f"alembic_version_{service}",
            version_table_schema=service if postgres else None,
            render_as_batch=not postgres,
            compare_type=True,
            render_item=_render_item,
            include_name=lambda name, type_, _parents: (
                not (type_ == "table" and str(name).startswith("alembic_version"))
            ),
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_engine(url, service, pool_size=1)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(migrate)
        finally:
            await engine.dispose()

    asyncio.run(run())
