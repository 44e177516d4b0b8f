"""Test fixtures: real PostgreSQL (schema from migrations), a real bank simulator, the whole system."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from services.kit.migrations import SERVICES
from services.launcher.system import migrate_all
from tests.support import postgres
from tests.support.bank import BankProcess
from tests.support.system import RunningSystem, running_system


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    name = postgres.create_template()
    yield name
    postgres.drop(name)


@pytest.fixture(scope="session")
def bank_process() -> Iterator[BankProcess]:
    process = BankProcess()
    yield process
    process.stop()


@pytest.fixture
async def pg_database(pg_template: str) -> AsyncIterator[str]:
    """A fresh database for one test, with every schema migrated."""
    name = await postgres.clone(pg_template)
    yield name
    await postgres.drop_async(name)


@pytest.fixture
def pg_urls(pg_database: str) -> dict[str, str]:
    return postgres.sqlalchemy_urls(pg_database)


@pytest.fixture
async def system(pg_urls: dict[str, str], bank_process: BankProcess) -> AsyncIterator[RunningSystem]:
    """Everything running on PostgreSQL, the gateway on a real port."""
    async with running_system(pg_urls, bank_process.url) as running:
        yield running


async def sqlite_urls(directory: Path) -> dict[str, str]:
    urls = {name: f"sqlite+aiosqlite:///{directory / f'{name}.db'}" for name in SERVICES}
    await asyncio.to_thread(migrate_all, urls)
    return urls


@pytest.fixture(params=["postgres", "sqlite"])
async def any_system(
    request: pytest.FixtureRequest, pg_template: str, bank_process: BankProcess, tmp_path: Path
) -> AsyncIterator[RunningSystem]:
    """The same system on PostgreSQL and on the embedded SQLite files."""
    if request.param == "postgres":
        name = await postgres.clone(pg_template)
        try:
            async with running_system(postgres.sqlalchemy_urls(name), bank_process.url) as running:
                yield running
        finally:
            await postgres.drop_async(name)
    else:
        async with running_system(await sqlite_urls(tmp_path), bank_process.url) as running:
            yield running
