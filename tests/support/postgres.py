"""Throw-away PostgreSQL databases cloned from one migrated template per test run."""

import asyncio
import os
import uuid

import asyncpg

from services.kit.migrations import SERVICES
from services.launcher.system import migrate_all

SERVER = os.environ.get("FUPIN_TEST_PG", "postgres@127.0.0.1:5432")


def asyncpg_url(database: str) -> str:
    return f"postgresql://{SERVER}/{database}"


def sqlalchemy_urls(database: str) -> dict[str, str]:
    return dict.fromkeys(SERVICES, f"postgresql+asyncpg://{SERVER}/{database}")


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(asyncpg_url("postgres"))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def create_template() -> str:
    """A database with every service's schema built by its migrations (never create_all)."""
    name = f"fupin_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    migrate_all(sqlalchemy_urls(name))
    return name


def drop(name: str) -> None:
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def clone(template: str) -> str:
    name = f"fupin_t_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name


async def drop_async(name: str) -> None:
    await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
