"""The schema comes from migrations: after upgrading, each service's models and tables agree."""

from pathlib import Path

import pytest
from alembic import command

from services.kit.migrations import SERVICES, alembic_config, upgrade


@pytest.mark.parametrize("service", SERVICES)
def test_postgresql_schema_matches_the_models(service: str, pg_urls: dict[str, str]) -> None:
    command.check(alembic_config(service, pg_urls[service]))


@pytest.mark.parametrize("service", SERVICES)
def test_sqlite_schema_matches_the_models(service: str, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / service}.db"
    upgrade(service, url)
    command.check(alembic_config(service, url))
