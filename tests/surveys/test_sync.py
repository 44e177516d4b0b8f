"""The phone's sync: assigned households after a cursor, tombstones for those that leave, states."""

from typing import Any

from tests.support.system import RunningSystem, auth
from tests.surveys.support import SURVEYS, households, make_team, revision

SYNC = f"{SURVEYS}/sync"


async def sync(
    system: RunningSystem, token: str, after: str | None = None, limit: int | None = None
) -> dict[str, Any]:
    await system.app("registry").state.sync_projector.drain()
    params: dict[str, Any] = {"after": after} if after else {}
    if limit:
        params["limit"] = limit
    response = await system.api.http.get(SYNC, params=params, headers=auth(token))
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def test_a_cadre_syncs_their_villages_incrementally_with_tombstones(system: RunningSystem) -> None:
    http = system.api.http
    here = households(41, 3)
    village = here[0].village_code
    elsewhere_village = village[:9] + "299"
    (elsewhere,) = households(42, 1, elsewhere_village)
    team = await make_team(system, village)
    other = await system.api.create_user(system.admin_token, "t.cadre.other", ["cadre"], [elsewhere_village])
    ids = [
        (await http.post(SURVEYS, json=h.survey(), headers=team.as_cadre())).json()["household_id"]
        for h in here
    ]
    assert (await http.post(SURVEYS, json=elsewhere.survey(), headers=auth(other))).status_code == 201

    full = await sync(system, team.cadre)
    assert sorted(h["id"] for h in full["households"]) == sorted(ids)  # not the other village's household
    assert {h["version"] for h in full["households"]} == {1}
    assert [s["status"] for s in full["submissions"]] == ["accepted"] * 3
    assert (full["removed"], full["more"], full["reset"]) == ([], False, False)
    quiet = await sync(system, team.cadre, full["next_after"])
    assert (quiet["households"], quiet["removed"], quiet["submissions"]) == ([], [], [])

    # A revision reaches the phone with its new version; a move to another village is a tombstone.
    changed = revision(here[0], ids[0], 1)
    changed["income"]["wages_fen"] += 500
    assert (await http.post(SURVEYS, json=changed, headers=team.as_cadre())).json()["status"] == "accepted"
    moved = revision(here[1], ids[1], 1, village_code=elsewhere_village)
    assert (await http.post(SURVEYS, json=moved, headers=auth(system.admin_token))).json()[
        "status"
    ] == "accepted"
    delta = await sync(system, team.cadre, quiet["next_after"])
    assert [(h["id"], h["version"]) for h in delta["households"]] == [(ids[0], 2)]
    assert delta["removed"] == [ids[1]]
    assert [s["submission_id"] for s in delta["submissions"]] == [changed["submission_id"]]
    theirs = await sync(system, other)
    assert ids[1] in {h["id"] for h in theirs["households"]}

    # Page by page: every household exactly once, then nothing.
    seen: list[str] = []
    cursor = None
    while True:
        page = await sync(system, team.cadre, cursor, limit=1)
        seen.extend(h["id"] for h in page["households"])
        cursor = page["next_after"]
        if not page["more"]:
            break
    assert sorted(set(seen)) == sorted([ids[0], ids[2]])

    # A cursor made for someone else's regions starts over.
    borrowed = await sync(system, other, delta["next_after"])
    assert borrowed["reset"] is True


async def test_the_cadre_sees_a_review_outcome_on_the_next_sync(system: RunningSystem) -> None:
    http = system.api.http
    (household,) = households(43, 1)
    team = await make_team(system, household.village_code)
    body = household.survey()
    body["income"]["wages_fen"] = 90_000_000  # implausible: held for a reviewer
    held = (await http.post(SURVEYS, json=body, headers=team.as_cadre())).json()
    first = await sync(system, team.cadre)
    assert [(s["status"], s["reason_code"]) for s in first["submissions"]] == [
        ("needs_review", "implausible_values")
    ]
    assert first["households"] == []

    decided = await http.post(
        f"{SURVEYS}/{held['submission_id']}/decision",
        headers=team.as_reviewer(),
        json={"decision": "accept", "reason": "外出务工收入属实"},
    )
    assert decided.status_code == 200, decided.text
    second = await sync(system, team.cadre, first["next_after"])
    (outcome,) = second["submissions"]
    assert (outcome["status"], outcome["reason_zh"]) == ("accepted", "外出务工收入属实")
    assert [h["id"] for h in second["households"]] == [outcome["household_id"]]
