"""A bulk run racing the registry feed on PostgreSQL: a household's newer outcome is never replaced."""

import asyncio
import datetime as dt
import uuid
from typing import Any

import asyncpg
from sqlalchemy import select

from services.eligibility.assessments.service import assess_one
from services.eligibility.models import Assessment, CurrentAssessment, HouseholdInput, InputSnapshot
from services.eligibility.policies.service import sync_shipped
from services.eligibility.reassessments import runner
from services.eligibility.reassessments.service import create_run
from services.eligibility.rules.inputs import encode, inputs_hash, normalise
from services.kit.auth import Principal, PrincipalKind, Role
from services.kit.database import Database
from tests.support.postgres import SERVER, sqlalchemy_urls

ADMIN = Principal(subject="test", kind=PrincipalKind.USER, roles=frozenset({Role.ADMIN}))
COUNTY = "522627000000"
HOUSEHOLD = uuid.UUID(int=1)


def facts(income_fen: int) -> dict[str, Any]:
    member = {"birth_date": "1980-03-15", "sex": "male", "labour_capacity": "normal"}
    return normalise({"per_capita_net_income_fen": income_fen, "member_count": 1, "members": [member]})


def project(household: HouseholdInput, version: int, known: dict[str, Any]) -> None:
    columns, members = encode(known)
    household.household_version = version
    household.inputs_hash = inputs_hash(known)
    household.members = members
    for name, value in columns.items():
        setattr(household, name, value)


async def waiting_on_a_lock(database_name: str) -> None:
    """Until a session of the database waits for a lock (the chunk, on the feed's uncommitted row)."""
    connection = await asyncpg.connect(f"postgresql://{SERVER}/postgres")
    try:
        for _ in range(200):
            waiting = await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
                database_name,
            )
            if waiting:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the bulk chunk never waited for the feed's transaction")
    finally:
        await connection.close()


async def test_a_bulk_chunk_does_not_replace_the_outcome_of_a_newer_household_version(
    pg_database: str,
) -> None:
    database = Database(sqlalchemy_urls(pg_database)["eligibility"], "eligibility", pool_size=3)
    earlier, today = dt.date(2026, 10, 1), dt.date(2026, 11, 1)
    poor, well_off = facts(100_000), facts(2_000_000)
    try:
        async with database.sessionmaker() as session, session.begin():
            await sync_shipped(session)
            for known in (poor, well_off):
                session.add(InputSnapshot(inputs_hash=inputs_hash(known), facts=known))
            household = HouseholdInput(household_id=HOUSEHOLD, village_code="522627001201")
            project(household, 1, poor)
            session.add(household)
            await session.flush()
            assert await assess_one(session, household, earlier) is not None
            run = await create_run(session, ADMIN, COUNTY, today, "county reassessment")

        # The feed applies version 2 and assesses it; before it commits, a chunk reads version 1.
        async with database.sessionmaker() as feed, feed.begin():
            household = await feed.get_one(HouseholdInput, HOUSEHOLD, with_for_update=True)
            project(household, 2, well_off)
            await feed.flush()
            newer = await assess_one(feed, household, today)
            assert newer is not None
            assert not newer.poor
            await feed.flush()
            chunk = asyncio.create_task(runner.process_chunk(database, run.id, 100, lanes=1))
            await waiting_on_a_lock(pg_database)
        done = await chunk
        assert done is not None
        assert done.written == 1

        async with database.sessionmaker() as session:
            current = await session.get_one(CurrentAssessment, HOUSEHOLD)
            of_the_run = select(Assessment).where(Assessment.run_id == run.id)
            stale = (await session.execute(of_the_run)).scalar_one()
        assert (current.household_version, current.assessment_id, current.poor) == (2, newer.id, False)
        assert (stale.household_version, stale.poor) == (1, True)  # kept in the history, not in force
    finally:
        await database.dispose()
