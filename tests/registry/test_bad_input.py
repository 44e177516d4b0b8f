"""Bad cursors, dates, version numbers and capture times are a 4xx in the one envelope, never a 500."""

from typing import Any

import httpx
import pytest

from tests.registry.support import Staff, county, make_staff, submit_survey
from tests.support.system import RunningSystem

TOO_BIG = str(2**63)


@pytest.fixture
async def staff(system: RunningSystem) -> Staff:
    return await make_staff(system, county(71).village_codes[0], prefix="bad.")


@pytest.fixture
async def household_id(system: RunningSystem, staff: Staff) -> str:
    household = next(county(71).households(1, staff.village))
    created = await submit_survey(system.api.http, staff.cadre, household)
    return str(created["household_id"])


def refused(response: httpx.Response, *loc: str | int) -> dict[str, Any]:
    """The response is a 422 envelope naming the field at `loc`."""
    assert response.status_code == 422, response.text
    body: dict[str, Any] = response.json()
    assert set(body) >= {"error", "detail", "request_id"}
    assert list(loc) in [field["loc"] for field in body["fields"]]
    return body


@pytest.mark.parametrize("number", ["²", "①", "1¹", "٣", "9" * 19])
async def test_sync_cursor_with_unicode_or_endless_digits_is_refused(
    system: RunningSystem, staff: Staff, household_id: str, number: str
) -> None:
    await system.app("registry").state.sync_projector.drain()
    http, headers = system.api.http, staff.headers("cadre")
    page = await http.get("/api/v1/surveys/sync", headers=headers)
    assert page.status_code == 200, page.text
    scope = page.json()["next_after"].partition(".")[2]
    refused(
        await http.get("/api/v1/surveys/sync", params={"after": f"{number}.{scope}"}, headers=headers),
        "query",
        "after",
    )


async def test_as_of_the_last_date_in_the_calendar_is_answered_as_of_today(
    system: RunningSystem, staff: Staff, household_id: str
) -> None:
    response = await system.api.http.get(
        f"/api/v1/households/{household_id}/as-of",
        params={"date": "9999-12-31"},
        headers=staff.headers("cadre"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 1


async def test_under_visited_in_the_last_month_of_the_calendar_is_refused(
    system: RunningSystem, staff: Staff
) -> None:
    response = await system.api.http.get(
        "/api/v1/visits/under-visited",
        params={"region_code": staff.village, "month": "9999-12-15"},
        headers=staff.headers("township_reviewer"),
    )
    refused(response, "query", "month")


async def test_version_numbers_beyond_the_database_range_are_refused(
    system: RunningSystem, staff: Staff, household_id: str
) -> None:
    http, headers = system.api.http, staff.headers("cadre")
    refused(
        await http.get(f"/api/v1/households/{household_id}/versions/{TOO_BIG}", headers=headers),
        "path",
        "version",
    )
    diff = f"/api/v1/households/{household_id}/diff"
    cases: list[tuple[dict[str, str], str]] = [
        ({"from_version": "1", "to_version": TOO_BIG}, "to_version"),
        ({"from_version": TOO_BIG, "to_version": "1"}, "from_version"),
    ]
    for params, field in cases:
        refused(await http.get(diff, params=params, headers=headers), "query", field)
    refused(
        await http.get(f"/api/v1/surveys/forms/household-survey/{TOO_BIG}", headers=headers),
        "path",
        "version",
    )


@pytest.mark.parametrize("captured_at", ["0001-01-01T00:00:00+14:00", "1999-12-31T23:59:59+00:00"])
async def test_a_capture_time_before_2000_is_refused(
    system: RunningSystem, staff: Staff, captured_at: str
) -> None:
    body = next(county(72).households(1, staff.village)).survey()
    body["captured_at"] = captured_at
    response = await system.api.http.post("/api/v1/surveys", json=body, headers=staff.headers("cadre"))
    refused(response, "body", "captured_at")


async def test_a_capture_time_at_the_end_of_the_calendar_is_refused(
    system: RunningSystem, staff: Staff
) -> None:
    body = next(county(73).households(1, staff.village)).survey()
    body["captured_at"] = "9999-12-31T23:00:00-14:00"
    response = await system.api.http.post("/api/v1/surveys", json=body, headers=staff.headers("cadre"))
    assert 400 <= response.status_code < 500, response.text
