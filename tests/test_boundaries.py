"""Service boundaries: each service's tables live only in its own schema; imports go through contracts."""

import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from services.eligibility.models import Base as EligibilityBase
from services.gateway.models import Base as GatewayBase
from services.registry.models import Base as RegistryBase
from services.subsidy.models import Base as SubsidyBase
from tests.support.postgres import asyncpg_url

ROOT = Path(__file__).resolve().parents[1]
METADATA = {
    "gateway": GatewayBase.metadata,
    "registry": RegistryBase.metadata,
    "eligibility": EligibilityBase.metadata,
    "subsidy": SubsidyBase.metadata,
}


async def test_each_service_tables_only_in_its_own_schema(pg_template: str) -> None:
    connection = await asyncpg.connect(asyncpg_url(pg_template))
    try:
        rows = await connection.fetch(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        )
        foreign_keys = await connection.fetch(
            "SELECT tc.table_schema, ccu.table_schema AS target FROM information_schema.table_constraints tc "
            "JOIN information_schema.constraint_column_usage ccu ON tc.constraint_name = ccu.constraint_name "
            "WHERE tc.constraint_type = 'FOREIGN KEY'"
        )
    finally:
        await connection.close()
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(row["table_schema"], set()).add(row["table_name"])
    assert set(found) == set(METADATA), "tables outside the four service schemas"
    for schema, metadata in METADATA.items():
        expected = set(metadata.tables) | {f"alembic_version_{schema}"}
        assert found[schema] == expected, f"{schema}: migrations and models disagree"
    assert all(row["table_schema"] == row["target"] for row in foreign_keys), "a foreign key crosses services"


@pytest.mark.parametrize("tool", ["lint-imports"])
def test_services_import_each_other_only_through_contracts(tool: str) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / tool)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
