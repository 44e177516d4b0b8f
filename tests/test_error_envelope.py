"""Bad input gets a clear 4xx in the one error envelope, with the request id; never a 500."""

import uuid

import asyncpg
import pytest

from bench.generator import SyntheticCounty
from tests.support.postgres import asyncpg_url
from tests.support.system import RunningSystem, auth


def assert_envelope(response, status: int, error: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) >= {"error", "detail", "request_id"}
    assert body["request_id"] == response.headers["x-request-id"]
    if error is not None:
        assert body["error"] == error
    return body


@pytest.fixture
async def cadre(system: RunningSystem) -> str:
    return await system.api.create_user(system.admin_token, "cadre.bad", ["cadre"], ["522627101201"])


async def test_wrong_types_and_unknown_fields_name_the_fields(system: RunningSystem, cadre: str) -> None:
    response = await system.api.http.post(
        "/api/v1/surveys",
        headers=auth(cadre),
        json={"submission_id": "not-a-uuid", "village_code": 42, "status": "registered"},
    )
    body = assert_envelope(response, 422, "validation_failed")
    locations = {tuple(field["loc"]) for field in body["fields"]}
    assert ("body", "submission_id") in locations
    assert ("body", "village_code") in locations
    assert ("body", "status") in locations  # a field nobody may set is refused, not ignored


async def test_malformed_json_is_a_4xx(system: RunningSystem, cadre: str) -> None:
    response = await system.api.http.post(
        "/api/v1/surveys", headers={**auth(cadre), "content-type": "application/json"}, content=b'{"a": '
    )
    assert_envelope(response, 422)


async def test_huge_body_is_refused_before_parsing(system: RunningSystem, cadre: str) -> None:
    response = await system.api.http.post(
        "/api/v1/surveys",
        headers={**auth(cadre), "content-type": "application/json"},
        content=b'{"x": "' + b"a" * 3_000_000 + b'"}',
    )
    assert_envelope(response, 413, "payload_too_large")


async def test_deeply_nested_json_is_refused(system: RunningSystem, cadre: str) -> None:
    response = await system.api.http.post(
        "/api/v1/surveys",
        headers={**auth(cadre), "content-type": "application/json"},
        content=b"[" * 5000 + b"]" * 5000,
    )
    assert_envelope(response, 400, "json_too_deep")


async def test_unknown_route_bad_method_and_bad_path_parameter(system: RunningSystem, cadre: str) -> None:
    assert_envelope(await system.api.http.get("/api/v1/nothing-here", headers=auth(cadre)), 404)
    assert_envelope(await system.api.http.get("/api/v1/households/not-a-uuid", headers=auth(cadre)), 422)
    assert_envelope(await system.api.http.put("/api/v1/surveys", headers=auth(cadre)), 405)


async def test_missing_and_forged_tokens_are_401(system: RunningSystem) -> None:
    household = uuid.uuid4()
    assert_envelope(await system.api.http.get(f"/api/v1/households/{household}"), 401, "unauthorized")
    forged = auth("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
    assert_envelope(await system.api.http.get(f"/api/v1/households/{household}", headers=forged), 401)


async def test_a_given_request_id_is_kept_and_echoed(system: RunningSystem) -> None:
    response = await system.api.http.get("/api/v1/households/x", headers={"x-request-id": "trace-12345678"})
    assert response.headers["x-request-id"] == "trace-12345678"
    assert response.json()["request_id"] == "trace-12345678"


async def test_refused_survey_leaves_nothing_behind(system: RunningSystem, cadre: str) -> None:
    household = next(SyntheticCounty("522627000000", seed=5).households(1, "522627101201"))
    body = household.survey()
    body["members"][0]["id_number"] = body["members"][0]["id_number"][:-1] + (
        "0" if body["members"][0]["id_number"][-1] != "0" else "1"
    )
    refused = await system.api.http.post("/api/v1/surveys", headers=auth(cadre), json=body)
    assert_envelope(refused, 422)
    assert refused.json()["fields"][0]["message_zh"]
    # The same submission id, now correct, is accepted: the refused attempt claimed nothing.
    accepted = await system.api.http.post("/api/v1/surveys", headers=auth(cadre), json=household.survey())
    assert accepted.status_code == 201, accepted.text


async def test_offsets_past_any_page_walk_are_422_not_500(system: RunningSystem) -> None:
    """Fuzzing sent an offset beyond a bigint to the case list: PostgreSQL answered with an overflow."""
    admin = auth(system.admin_token)
    huge = "99999999999999999999"
    for path in ("/api/v1/cases", "/api/v1/surveys/reviews", "/api/v1/users", "/api/v1/clients"):
        assert_envelope(await system.api.http.get(f"{path}?offset={huge}", headers=admin), 422)
    assert (await system.api.http.get("/api/v1/cases?offset=10000000", headers=admin)).status_code == 200


async def test_lost_database_connections_cost_one_503_never_a_500(
    system: RunningSystem, cadre: str, pg_database: str
) -> None:
    """A database restart drops every pooled connection: a request on one is a 503 to retry, then works."""
    county = SyntheticCounty("522627000000", seed=5, townships=1, villages_per_township=1)
    survey = next(iter(county.households(1))).survey(submission_id=uuid.uuid4())
    survey["village_code"] = "522627101201"
    submitted = await system.api.http.post("/api/v1/surveys", headers=auth(cadre), json=survey)
    assert submitted.status_code == 201, submitted.text
    connection = await asyncpg.connect(asyncpg_url("postgres"))
    try:
        dropped = await connection.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1", pg_database
        )
    finally:
        await connection.close()
    assert dropped > 0

    statuses, headers = [], auth(cadre)
    for _ in range(4):
        response = await system.api.http.get(f"/api/v1/surveys/{survey['submission_id']}", headers=headers)
        statuses.append(response.status_code)
        if response.status_code == 200:
            break
        assert_envelope(response, 503, "service_unavailable")  # the registry's, as the gateway says it
        assert response.headers["retry-after"] == "1"
    assert statuses[-1] == 200, statuses
    assert len(statuses) <= 3, statuses  # the gateway's pool and the registry's, at most once each
    assert response.json()["status"] == "accepted"


async def test_header_bytes_beyond_ascii_reach_the_service_not_a_crash(
    system: RunningSystem, cadre: str
) -> None:
    """A header the gateway forwards may carry bytes outside ASCII (obs-text): the service judges it."""
    household = f"/api/v1/households/{uuid.uuid4()}"
    token = f"Bearer {cadre}".encode()
    odd = {b"authorization": token, b"user-agent": b"phone \xe9\xe9"}
    assert_envelope(await system.api.http.get(household, headers=odd), 404)
    forged = {b"authorization": b"Bearer \xe9\xe9\xe9"}
    assert_envelope(await system.api.http.get(household, headers=forged), 401)


async def test_digits_are_ascii_digits(system: RunningSystem, cadre: str) -> None:
    """Full-width or other scripts' digits are no division code, page size or count."""
    arabic_indic = "٥٢٢٦٢٧١٠١٢٩٩"  # 522627101299 in Arabic-Indic digits
    loaded = await system.api.http.post(
        "/api/v1/divisions",
        json={"divisions": [{"code": arabic_indic, "name": "某村"}]},
        headers={**auth(system.admin_token), "idempotency-key": str(uuid.uuid4())},
    )
    assert_envelope(loaded, 422)
    roster = "/api/v1/households"
    for limit in ("1" * 5000, "²", "５００"):  # beyond int()'s digit limit; digits str.isdigit() takes
        response = await system.api.http.get(roster, params={"limit": limit}, headers=auth(cadre))
        assert 400 <= response.status_code < 500, (limit[:10], response.text)
        assert_envelope(response, response.status_code)
