"""Races on PostgreSQL: resends on two connections, two devices on one household, a lost response."""

import asyncio
import uuid

import httpx
import pytest
from sqlalchemy import func, select

from services.registry.models import Household, HouseholdVersion, Member, SurveySubmission
from tests.support.system import RunningSystem, auth, eventually
from tests.surveys.support import SURVEYS, households, make_team, revision


def connections(system: RunningSystem, count: int) -> list[httpx.AsyncClient]:
    """Separate clients, so each request travels on its own connection and its own transaction."""
    return [httpx.AsyncClient(base_url=system.gateway_url, timeout=30) for _ in range(count)]


async def test_the_same_submission_sent_concurrently_makes_one_record(system: RunningSystem) -> None:
    (household,) = households(21, 1)
    team = await make_team(system, household.village_code)
    body = household.survey()
    clients = connections(system, 4)
    try:
        responses = await asyncio.gather(
            *(client.post(SURVEYS, json=body, headers=team.as_cadre()) for client in clients)
        )
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))
    assert sorted(response.status_code for response in responses) == [200, 200, 200, 201]
    assert len({response.json()["household_id"] for response in responses}) == 1
    assert await system.rows("registry", SurveySubmission) == 1
    assert await system.rows("registry", Household) == 1


async def test_two_devices_on_one_household_one_applied_one_conflict(system: RunningSystem) -> None:
    (household,) = households(22, 1)
    team = await make_team(system, household.village_code)
    created = (await system.api.http.post(SURVEYS, json=household.survey(), headers=team.as_cadre())).json()
    household_id = created["household_id"]
    first = revision(household, household_id, 1, device_id="phone-a")
    first["income"]["wages_fen"] = 123_400
    second = revision(household, household_id, 1, device_id="phone-b")
    second["income"]["wages_fen"] = 567_800
    clients = connections(system, 2)
    try:
        responses = await asyncio.gather(
            clients[0].post(SURVEYS, json=first, headers=team.as_cadre()),
            clients[1].post(SURVEYS, json=second, headers=auth(team.other_cadre)),
        )
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))
    results = [response.json() for response in responses]
    assert all(response.status_code == 201 for response in responses), results
    assert sorted(result["status"] for result in results) == ["accepted", "needs_review"]
    winner = next(result for result in results if result["status"] == "accepted")
    loser = next(result for result in results if result["status"] == "needs_review")
    assert winner["household_version"] == 2
    assert loser["reason_code"] == "stale_version"
    stored = (await system.api.http.get(f"/api/v1/households/{household_id}", headers=team.as_cadre())).json()
    winning_wages = first if winner["submission_id"] == first["submission_id"] else second
    assert (stored["version"], stored["wages_fen"]) == (2, winning_wages["income"]["wages_fen"])
    # Nothing overwritten, nothing lost: the loser waits.
    assert await system.rows("registry", HouseholdVersion) == 2


async def test_two_phones_registering_one_new_family_at_once_make_one_household(
    system: RunningSystem,
) -> None:
    # Two cadres meet the same family: two surveys, two ids, the same members. Both may pass the
    # member check before either commits; the loser's insert then fails on the unique index.
    family = households(25, 8)
    team = await make_team(system, family[0].village_code)
    pairs = [
        (household.survey(submission_id=uuid.uuid4()), household.survey(submission_id=uuid.uuid4()))
        for household in family
    ]
    for first, second in pairs:
        # A plausible income, so that neither waits for a reviewer before reaching the member check.
        first["income"] = second["income"] = {
            **first["income"],
            "wages_fen": 600_000,
            "production_net_fen": 200_000,
            "property_fen": 0,
        }
    clients = connections(system, 2)
    try:
        answers = await asyncio.gather(
            *(
                asyncio.gather(
                    clients[0].post(SURVEYS, json=first, headers=team.as_cadre()),
                    clients[1].post(SURVEYS, json=second, headers=auth(team.other_cadre)),
                )
                for first, second in pairs
            )
        )
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))
    for pair in answers:
        results = [response.json() for response in pair]
        assert [response.status_code for response in pair] == [201, 201], results
        assert sorted(result["status"] for result in results) == ["accepted", "needs_review"], results
        loser = next(result for result in results if result["status"] == "needs_review")
        assert loser["reason_code"] == "possible_duplicate"
        assert loser["household_id"] is None
    assert await system.rows("registry", Household) == len(family)
    assert await system.rows("registry", HouseholdVersion) == len(family)
    members = sum(len(first["members"]) for first, _ in pairs)
    assert await system.rows("registry", Member) == members


async def test_a_resend_after_a_lost_response_doubles_nothing(system: RunningSystem) -> None:
    (household,) = households(23, 1)
    team = await make_team(system, household.village_code)
    body = household.survey()
    # The phone gives up before the answer arrives (signal lost); the server still commits.
    async with httpx.AsyncClient(
        base_url=system.gateway_url, timeout=httpx.Timeout(5, read=0.001)
    ) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            await impatient.post(SURVEYS, json=body, headers=team.as_cadre())

    async def committed() -> dict | None:
        response = await system.api.http.get(f"{SURVEYS}/{body['submission_id']}", headers=team.as_cadre())
        return response.json() if response.status_code == 200 else None

    first = await eventually(committed)
    resent = await system.api.http.post(SURVEYS, json=body, headers=team.as_cadre())
    assert resent.status_code == 200
    assert resent.json()["household_id"] == first["household_id"]
    assert await system.rows("registry", SurveySubmission) == 1
    assert await system.rows("registry", Household) == 1
    assert await system.rows("registry", HouseholdVersion) == 1


async def test_the_same_batch_sent_twice_at_once_applies_each_item_once(system: RunningSystem) -> None:
    batch = households(24, 6)
    team = await make_team(system, batch[0].village_code)
    body = {"submissions": [household.survey(submission_id=uuid.uuid4()) for household in batch]}
    clients = connections(system, 2)
    try:
        responses = await asyncio.gather(
            *(client.post(f"{SURVEYS}/batch", json=body, headers=team.as_cadre()) for client in clients)
        )
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))
    codes = [[item["status_code"] for item in response.json()["items"]] for response in responses]
    assert all(sorted(pair) == [200, 201] for pair in zip(*codes, strict=True)), codes
    assert await system.rows("registry", SurveySubmission) == 6

    async def all_applied() -> bool:
        async with system.app("registry").state.database.sessionmaker() as session:
            waiting = await session.scalar(
                select(func.count())
                .select_from(SurveySubmission)
                .where(SurveySubmission.status == "received")
            )
        return waiting == 0

    await eventually(all_applied, within=30)
    assert await system.rows("registry", Household) == 6
