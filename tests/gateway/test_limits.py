"""Resource consumption (OWASP API4) and the audit of every change made through the gateway."""

import uuid

from services.kit.limits import RateLimiter
from tests.gateway.conftest import VILLAGE_A, Gateway
from tests.support.system import ADMIN_PASSWORD, auth


async def test_each_person_has_a_quota_and_is_told_when_to_retry(gateway: Gateway) -> None:
    busy = await gateway.person("cadre.busy", ["cadre"], [VILLAGE_A])
    calm = await gateway.person("cadre.calm", ["cadre"], [VILLAGE_A])
    gateway.settings.rate_limit_user_requests = 5
    statuses = [(await gateway.http.get("/api/v1/auth/me", headers=auth(busy))).status_code for _ in range(7)]
    assert statuses == [200] * 5 + [429] * 2
    refused = await gateway.http.get(f"/api/v1/households/{uuid.uuid4()}", headers=auth(busy))
    assert refused.status_code == 429
    assert refused.json()["error"] == "too_many_requests"
    assert 1 <= int(refused.headers["retry-after"]) <= gateway.settings.rate_limit_window_seconds
    assert (await gateway.http.get("/api/v1/auth/me", headers=auth(calm))).status_code == 200


async def test_each_partner_client_has_its_own_quota(gateway: Gateway) -> None:
    _, bank = await gateway.partner("bank.quota", ["credit:check"])
    _, other = await gateway.partner("bank.other", ["credit:check"])
    gateway.settings.rate_limit_client_requests = 3
    body = {"id_number": "11010519491231002X"}
    statuses = [
        (await gateway.http.post("/api/v1/credit-checks", json=body, headers=auth(bank))).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    assert (
        await gateway.http.post("/api/v1/credit-checks", json=body, headers=auth(other))
    ).status_code == 200


async def test_login_flooding_is_cut_off_per_address(gateway: Gateway) -> None:
    gateway.app.state.rate_limiter = RateLimiter()  # forget the sign-ins the system made while starting
    gateway.settings.rate_limit_sign_in_requests = 10
    statuses = [(await gateway.login(f"guess{i}", "password-123")).status_code for i in range(14)]
    # Our own services also fetch client-credential tokens from this address now and then.
    first_refusal = statuses.index(429)
    assert 8 <= first_refusal <= 10
    assert set(statuses[:first_refusal]) == {401}
    assert set(statuses[first_refusal:]) == {429}
    flood = await gateway.login("admin", ADMIN_PASSWORD)
    assert flood.status_code == 429
    assert "retry-after" in flood.headers
    # A flood leaves one audit record per window, not one per request.
    assert len(await gateway.audit(outcome="rate_limited")) == 1


async def test_huge_page_sizes_are_refused_before_reaching_a_service(gateway: Gateway) -> None:
    admin = gateway.system.admin_token
    cap = gateway.settings.max_page_size
    assert (await gateway.http.get(f"/api/v1/users?limit={cap}", headers=auth(admin))).status_code == 200
    for path in (
        f"/api/v1/users?limit={cap + 1}",
        "/api/v1/clients?limit=1000000",
        "/api/v1/programs?limit=99999999",
    ):
        response = await gateway.http.get(path, headers=auth(admin))
        assert response.status_code == 422, path
        assert response.json()["error"] == "page_too_large"


async def test_huge_and_deeply_nested_bodies_are_refused_at_the_gateway(gateway: Gateway) -> None:
    huge = await gateway.http.post(
        "/api/v1/auth/login",
        headers={"content-type": "application/json"},
        content=b'{"username": "' + b"a" * (gateway.settings.max_body_bytes + 1) + b'"}',
    )
    assert huge.status_code == 413
    deep = await gateway.http.post(
        "/api/v1/users",
        headers={**auth(gateway.system.admin_token), "content-type": "application/json"},
        content=b'{"a":' * 100 + b"1" + b"}" * 100,
    )
    assert deep.status_code == 400
    assert deep.json()["error"] == "json_too_deep"


async def test_every_state_changing_call_is_audited_with_who_where_and_outcome(gateway: Gateway) -> None:
    cadre = await gateway.person("cadre.audit", ["cadre"], [VILLAGE_A])
    household_id, _ = await gateway.household(cadre, VILLAGE_A)
    refused = await gateway.http.post(
        "/api/v1/users", headers={**auth(cadre), "x-request-id": "req-audit-0001"}, json={}
    )
    assert refused.status_code == 403
    await gateway.http.get(f"/api/v1/households/{household_id}", headers=auth(cadre))  # a read: not recorded

    calls = [r for r in await gateway.audit() if r.action.startswith("api.") and r.actor_roles == "cadre"]
    assert [(r.action, r.entity_type, r.outcome, r.detail["status"]) for r in calls] == [
        ("api.post", "registry", "ok", 201),
        ("api.post", "gateway", "refused", 403),
    ]
    assert calls[0].entity_id == "/api/v1/surveys"
    assert calls[1].request_id == "req-audit-0001"
    assert calls[1].actor_regions == VILLAGE_A
    me = (await gateway.http.get("/api/v1/auth/me", headers=auth(cadre))).json()
    assert {r.actor for r in calls} == {me["subject"]}
    assert (await gateway.http.post("/api/v1/surveys", json={})).status_code == 401
    anonymous = await gateway.audit(actor="anonymous", action="api.post")
    assert [(r.entity_id, r.outcome, r.detail["status"]) for r in anonymous] == [
        ("/api/v1/surveys", "refused", 401)
    ]


async def test_nul_characters_are_refused_before_any_database_sees_them(gateway: Gateway) -> None:
    """PostgreSQL cannot store or even compare a NUL: without this check such input became a 500."""
    admin = auth(gateway.system.admin_token)
    for response in (
        await gateway.http.get("/api/v1/catalogue/schemes/a%00b", headers=admin),
        await gateway.http.get("/api/v1/users?limit=1&x=%00", headers=admin),
        await gateway.http.post("/api/v1/fund-sources", headers=admin, json={"code": "a\u0000b"}),
        await gateway.http.post("/api/v1/auth/login", json={"username": "a\u0000", "password": "x"}),
    ):
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "nul_character"
    assert (await gateway.http.get("/api/v1/users?limit=1", headers=admin)).status_code == 200


async def test_control_characters_in_a_path_are_refused_not_forwarded(gateway: Gateway) -> None:
    """Fuzzing found a control character in a path turning into a 500 when the gateway forwarded it."""
    admin = auth(gateway.system.admin_token)
    for path in ("/api/v1/payments/a%11b", "/api/v1/households/%0A", "/api/v1/users/x%7F"):
        response = await gateway.http.get(path, headers=admin)
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "control_character"
        assert response.json()["request_id"]
