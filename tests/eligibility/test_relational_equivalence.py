"""The SQL back end (bulk runs, simulations) and numpy (single assessments, SQLite) write the same bytes."""

import asyncio
import datetime as dt
import random
import re
import uuid
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Text, cast, func, select

from services.eligibility.models import (
    Assessment,
    CurrentAssessment,
    HouseholdInput,
    InputSnapshot,
    OutboxEvent,
)
from services.eligibility.policies import repository as policy_repository
from services.eligibility.policies.service import compiled, scopes, shipped_documents, sync_shipped
from services.eligibility.reassessments import repository, runner
from services.eligibility.reassessments.repository import ASSESSMENT_COLUMNS, CURRENT_COLUMNS
from services.eligibility.reassessments.service import create_run
from services.eligibility.rules import relational
from services.eligibility.rules.inputs import (
    HOUSEHOLD_COLUMNS,
    HouseholdBatch,
    encode,
    inputs_hash,
    normalise,
)
from services.eligibility.simulations import repository as simulation_repository
from services.eligibility.simulations import service as simulations
from services.kit.auth import Principal, PrincipalKind, Role
from services.kit.database import Database, utcnow
from services.kit.migrations import alembic_config
from tests.eligibility.policies import shipped
from tests.support.postgres import sqlalchemy_urls

CODES = [document.code for document in shipped_documents()]
DATES = [dt.date(2019, 6, 30), dt.date(2026, 11, 1)]
VILLAGES = ["522627001201", "520626001201", "320412001201", "450123001201"]  # each shipped policy applies
NATION = "000000000000"
ADMIN = Principal(subject="test", kind=PrincipalKind.USER, roles=frozenset({Role.ADMIN}))


def random_member(rng: random.Random) -> dict[str, Any]:
    born = dt.date(2026, 11, 1) - dt.timedelta(days=rng.randrange(0, 95 * 366))
    return {
        "birth_date": born.isoformat(),
        "sex": rng.choice(["male", "female"]),
        "relation": rng.choice(["head", "spouse", "child", "parent", "grandchild", "other"]),
        "labour_capacity": rng.choice(["normal", "skilled", "partial", "lost", "none"]),
        "labour_willing": rng.random() < 0.8,
        "health": rng.choice(["healthy", "chronic", "serious", "disabled"]),
        "disability_grade": rng.choice([0, 0, 0, 1, 2, 4]),
        "schooling_stage": rng.choice(["none", "primary", "junior", "senior", "undergraduate"]),
        "dropped_out": rng.random() < 0.1,
        "medical_insured": rng.random() < 0.9,
    }


def random_household(rng: random.Random) -> dict[str, Any]:
    members = [random_member(rng) for _ in range(rng.choice([0, 1, 2, 3, 4, 6]))]
    income = rng.choice([0, 230000, 400000, 660000, rng.randrange(-5000, 2_000_000)])
    return normalise(
        {
            "per_capita_net_income_fen": income,
            "per_capita_disposable_income_fen": rng.choice([None, rng.randrange(0, 1_500_000)]),
            "member_count": len(members) if rng.random() < 0.9 else rng.randrange(0, 8),
            "transfer_income_fen": rng.choice([0, rng.randrange(0, 2_000_000)]),
            "housing_safety_grade": rng.choice(["A", "B", "C", "D"]),
            "housing_area_m2": rng.choice([None, 0.0, 13.0, rng.uniform(5, 200)]),
            "housing_self_build_capable": rng.random() < 0.3,
            "drinking_water_safe": rng.random() < 0.8,
            "food_clothing_secure": rng.random() < 0.8,
            "dibao": rng.random() < 0.15,
            "wubao": rng.random() < 0.05,
            "status": rng.choice(["applicant", "registered", "exited", "not_poor"]),
            "exit_year": rng.choice([0, 2016, 2019, 2020, 2025]),
            "members": members,
        }
    )


@pytest.fixture
async def projected(pg_database: str) -> Any:
    """400 random households in the projection, and their facts in id order."""
    rng = random.Random(20261123)
    facts = [random_household(rng) for _ in range(400)]
    database = Database(sqlalchemy_urls(pg_database)["eligibility"], "eligibility", pool_size=1)
    async with database.sessionmaker() as session, session.begin():
        for digest, one in {inputs_hash(one): one for one in facts}.items():
            session.add(InputSnapshot(inputs_hash=digest, facts=one))
        for number, one in enumerate(facts):
            columns, members = encode(one)
            session.add(
                HouseholdInput(
                    household_id=uuid.UUID(int=number + 1),
                    household_version=1,
                    village_code=VILLAGES[number % len(VILLAGES)],
                    inputs_hash=inputs_hash(one),
                    members=members,
                    **columns,
                )
            )
    yield database, facts
    await database.dispose()


@pytest.mark.parametrize("as_of", DATES)
async def test_sql_and_numpy_back_ends_agree_on_every_shipped_policy(projected: Any, as_of: dt.date) -> None:
    database, facts = projected
    households = HouseholdInput.__table__
    source = select(
        households.c.household_id, *[households.c[name] for name in HOUSEHOLD_COLUMNS], households.c.members
    ).subquery()
    for code in CODES:
        policy = shipped(code)
        if policy.document.effective_from > as_of:
            continue
        expected = policy.evaluate(HouseholdBatch.from_facts(facts), as_of)
        outcomes = expected.outcomes()
        evaluated = relational.evaluated(
            policy.program, source, params=policy.parameters_on(as_of), as_of=as_of, prefix="p"
        )
        stored = policy.stored_columns(evaluated)
        statement = select(*[value.label(name) for name, value in stored.items()]).order_by(
            evaluated.query.c.household_id
        )
        async with database.sessionmaker() as session:
            rows = (await session.execute(statement)).mappings().all()
        assert len(rows) == len(facts)
        numpy_rows = zip(
            expected.category_names(),
            expected.poor.tolist(),
            expected.degree_names(),
            expected.extreme.tolist(),
            expected.exit_ready.tolist(),
            expected.score_x100.tolist(),
            expected.packed(),
            outcomes.keys,
            outcomes.programs_json,
            strict=True,
        )
        for index, (row, numpy_row) in enumerate(zip(rows, numpy_rows, strict=True)):
            found = tuple(row[name] for name in stored)
            assert found == numpy_row, f"{code} on {as_of}, household {index}: {facts[index]}"


@pytest.mark.parametrize("earlier", [None, dt.date(2019, 6, 30)], ids=["first-outcomes", "replacing"])
async def test_a_bulk_chunk_in_sql_writes_what_numpy_writes(projected: Any, earlier: dt.date | None) -> None:
    database, facts = projected
    as_of = dt.date(2026, 11, 1)
    async with database.sessionmaker() as session, session.begin():
        await sync_shipped(session)
    if earlier is not None:  # every household has a current outcome, some of which the run changes
        async with database.sessionmaker() as session, session.begin():
            before = await create_run(session, ADMIN, NATION, earlier, "an earlier date")
        await runner.run_to_end(database, before.id, len(facts), lanes=1)
    async with database.sessionmaker() as session, session.begin():
        run = await create_run(session, ADMIN, NATION, as_of, "both back ends")
        announced = await session.scalar(select(func.coalesce(func.max(OutboxEvent.id), 0)))
    async with database.sessionmaker() as session:
        chunk = await repository.read_chunk(session, NATION, None, None, len(facts))
        policies = list(await policy_repository.published(session))
        compiled_policies = [await compiled(session, policy) for policy in policies]
    assessments, currents, events = runner._evaluate(
        chunk, policies, compiled_policies, NATION, as_of, run.id, utcnow()
    )
    assert await runner.process_chunk(database, run.id, len(facts), lanes=1) is not None
    async with database.sessionmaker() as session:
        this_run = select(Assessment).where(Assessment.run_id == run.id)
        stored_assessments = (await session.execute(this_run)).scalars().all()
        stored_currents = (await session.execute(select(CurrentAssessment))).scalars().all()
    assert len(assessments) == len(stored_assessments) == len(facts)
    assert {row[4] for row in assessments} == {policy.id for policy in policies}

    def by_household(rows: Any, columns: tuple[str, ...], key: str, skip: set[str]) -> dict[Any, Any]:
        kept = [index for index, name in enumerate(columns) if name not in skip]
        return {row[columns.index(key)]: tuple(row[index] for index in kept) for row in rows}

    def stored(rows: Any, columns: tuple[str, ...], key: str, skip: set[str]) -> dict[Any, Any]:
        return by_household([[getattr(row, name) for name in columns] for row in rows], columns, key, skip)

    skip = {"id", "assessment_id", "assessed_at"}
    assert stored(stored_assessments, ASSESSMENT_COLUMNS, "household_id", skip) == by_household(
        assessments, ASSESSMENT_COLUMNS, "household_id", skip
    )
    assert stored(stored_currents, CURRENT_COLUMNS, "household_id", skip) == by_household(
        currents, CURRENT_COLUMNS, "household_id", skip
    )

    # Byte for byte as the numpy path writes them, but for what differs by design.
    def printed(payload: str) -> str:
        return re.sub(r'"(assessment_id|assessed_at)":"[^"]*"', r'"\1":""', payload)

    async with database.sessionmaker() as session:
        rows = await session.execute(
            select(OutboxEvent.key, cast(OutboxEvent.payload, Text())).where(OutboxEvent.id > announced)
        )
        sql_payloads = {key: printed(payload) for key, payload in rows.all()}
    numpy_payloads = {key: printed(payload) for _id, _type, key, payload, _at in events}
    assert 0 < len(sql_payloads) <= len(facts)
    assert (len(sql_payloads) == len(facts)) == (earlier is None)
    assert sql_payloads == numpy_payloads


async def test_a_simulation_in_sql_counts_what_numpy_counts(projected: Any) -> None:
    database, facts = projected
    as_of = dt.date(2026, 11, 1)
    draft = shipped("gz-dejiang")  # over every village, against the policy that applies to each
    async with database.sessionmaker() as session, session.begin():
        await sync_shipped(session)
    async with database.sessionmaker() as session:
        published = list(await policy_repository.published(session))
        compiled_published = [await compiled(session, policy) for policy in published]
        current = [(compiled_published[scope.index], scope) for scope in scopes(published, NATION, as_of)]
        sql_counts = await simulation_repository.counts(session, draft, current, NATION, as_of)
        sql_sample = await simulation_repository.sample(session, draft, current, NATION, as_of, 30)
        numpy_counts, numpy_sample = await simulations._simulate_here(
            session, draft, published, compiled_published, NATION, as_of, 30
        )
    assert sum(count.households for count in sql_counts) == len(facts)
    assert sum(count.changing + count.entering + count.exiting for count in sql_counts) > 0
    # Sorted here: PostgreSQL's collation may order the categories otherwise.
    assert sorted(sql_counts, key=repr) == sorted(numpy_counts, key=repr)
    assert sql_sample == numpy_sample


async def test_eli0004_down_and_up_again_keeps_projection_details_and_keys(
    projected: Any, pg_database: str
) -> None:
    database, facts = projected
    async with database.sessionmaker() as session, session.begin():
        await sync_shipped(session)
        run = await create_run(session, ADMIN, NATION, dt.date(2026, 11, 1), "before the round trip")
    assert await runner.process_chunk(database, run.id, len(facts), lanes=1) is not None

    async def rows() -> list[Any]:
        async with database.sessionmaker() as session:
            return [
                (await session.execute(select(table).order_by(*table.primary_key))).all()
                for table in (HouseholdInput.__table__, Assessment.__table__, CurrentAssessment.__table__)
            ]

    before = await rows()
    await database.dispose()
    config = alembic_config("eligibility", sqlalchemy_urls(pg_database)["eligibility"])
    await asyncio.to_thread(command.downgrade, config, "eli0003")
    await asyncio.to_thread(command.upgrade, config, "head")
    after = await rows()
    assert [len(table) for table in after] == [len(facts)] * 3
    assert after == before
