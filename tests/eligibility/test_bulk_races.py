"""A bulk run racing the registry feed on PostgreSQL: a household's newer outcome is never replaced."""

import asyncio
import datetime as dt
import uuid
from typing import Any

import asyncpg
import pytest
from sqlalchemy import func, select, text

from services.eligibility.assessments.service import assess_one
from services.eligibility.models import Assessment, CurrentAssessment, HouseholdInput, InputSnapshot
from services.eligibility.policies.service import sync_shipped
from services.eligibility.reassessments import repository, runner
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


async def test_a_large_run_is_split_into_lanes_of_about_equal_size(
    pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The split of a large run reads a sample of the projection (bench: a million households), not
    # every id in order; here 30,000 households count as large.
    monkeypatch.setattr(repository, "SPLIT_SAMPLE", 2_000)
    database = Database(sqlalchemy_urls(pg_database)["eligibility"], "eligibility", pool_size=1)
    try:
        async with database.sessionmaker() as session, session.begin():
            await session.execute(
                text(
                    "INSERT INTO household_inputs (household_id, household_version, village_code, "
                    "inputs_hash, per_capita_net_income_fen, per_capita_disposable_income_fen, "
                    "member_count, transfer_income_fen, housing_safety_grade, housing_self_build_capable, "
                    "drinking_water_safe, food_clothing_secure, dibao, wubao, status, exit_year, members, "
                    "updated_at) SELECT gen_random_uuid(), 1, '522627001201', 'h', 100000, 100000, 1, 0, "
                    "1, false, true, true, false, false, 1, 0, '{}', now() FROM generate_series(1, 30000)"
                )
            )
            bounds = await repository.split(session, COUNTY, 30_000, 3)
            first, second, last = bounds
            assert first is not None
            assert second is not None
            assert last is None
            ids = HouseholdInput.household_id
            lanes = [
                (await session.execute(select(func.count()).where(condition))).scalar_one()
                for condition in (ids <= first, ids > first, ids > second)
            ]
    finally:
        await database.dispose()
    lanes[1] -= lanes[2]  # the second lane ends where the third begins
    assert sum(lanes) == 30_000
    assert all(8_500 <= size <= 11_500 for size in lanes), lanes  # a third each, give or take 15%
