"""eli0005 on a database with a run under way: the run keeps its place, up and down again."""

import asyncio
import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text

from services.kit.database import Database
from services.kit.migrations import alembic_config, upgrade


def run_sql(url: str, statement: str, **values: Any) -> list[Any]:
    async def go() -> list[Any]:
        database = Database(url, "eligibility")
        try:
            async with database.engine.begin() as connection:
                result = await connection.execute(text(statement), values)
                return list(result.all()) if result.returns_rows else []
        finally:
            await database.dispose()

    return asyncio.run(go())


@pytest.mark.parametrize("kind", ["postgres", "sqlite"])
def test_a_running_run_keeps_its_cursor_through_eli0005_and_back(
    kind: str, pg_urls: dict[str, str], tmp_path: Path
) -> None:
    url = pg_urls["eligibility"] if kind == "postgres" else f"sqlite+aiosqlite:///{tmp_path / 'e.db'}"
    upgrade("eligibility", url)
    command.downgrade(alembic_config("eligibility", url), "eli0004")
    run_id, cursor = uuid.uuid4(), uuid.uuid4()
    # Dates, times and ids as the database's own driver writes them.
    run_sql(
        url,
        "INSERT INTO reassessment_runs (id, region_code, status, as_of, reason, requested_by, total, "
        "processed, changed, resume_after, created_at) VALUES (:id, '522627000000', 'running', :as_of, "
        "'复核', 'admin', 10, 4, 1, :cursor, :now)",
        id=run_id if kind == "postgres" else run_id.hex,
        cursor=cursor if kind == "postgres" else cursor.hex,
        as_of=dt.date(2026, 11, 1),
        now=dt.datetime.now(dt.UTC),
    )

    upgrade("eligibility", url)
    lanes = run_sql(url, "SELECT lane, upto, resume_after, finished FROM reassessment_lanes")
    assert [(lane, upto, str(uuid.UUID(str(after))), bool(done)) for lane, upto, after, done in lanes] == [
        (0, None, str(cursor), False)
    ]

    command.downgrade(alembic_config("eligibility", url), "eli0004")
    (after,) = run_sql(url, "SELECT resume_after FROM reassessment_runs")[0]
    assert uuid.UUID(str(after)) == cursor
    upgrade("eligibility", url)
