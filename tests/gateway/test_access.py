"""Authorization as a hostile client probes it (OWASP API1, API3, API5, API7): objects in other regions,
fields nobody may set, admin functions, a bank's narrow view, and no URL taken from a caller."""

import json
import uuid

from sqlalchemy import update

from bench.generator import SyntheticCounty
from services.registry.models import Household
from tests.gateway.conftest import COUNTY, VILLAGE_A, VILLAGE_B, Gateway
from tests.support.system import auth


async def test_a_cadre_cannot_see_a_household_outside_their_villages(gateway: Gateway) -> None:
    cadre_a = await gateway.person("cadre.a", ["cadre"], [VILLAGE_A])
    cadre_b = await gateway.person("cadre.b", ["cadre"], [VILLAGE_B])
    household_id, _ = await gateway.household(cadre_a, VILLAGE_A)
    assert (
        await gateway.http.get(f"/api/v1/households/{household_id}", headers=auth(cadre_a))
    ).status_code == 200
    other = await gateway.http.get(f"/api/v1/households/{household_id}", headers=auth(cadre_b))
    missing = await gateway.http.get(f"/api/v1/households/{uuid.uuid4()}", headers=auth(cadre_b))
    assert other.status_code == missing.status_code == 404  # as if it did not exist
    assert other.json()["error"] == missing.json()["error"]
    county = await gateway.person("approver.county", ["county_approver"], [COUNTY])
    assert (
        await gateway.http.get(f"/api/v1/households/{household_id}", headers=auth(county))
    ).status_code == 200


async def test_a_cadre_cannot_set_status_or_category_by_adding_fields(gateway: Gateway) -> None:
    cadre = await gateway.person("cadre.mass", ["cadre"], [VILLAGE_A])
    household_id, _ = await gateway.household(cadre, VILLAGE_A)
    before = (await gateway.http.get(f"/api/v1/households/{household_id}", headers=auth(cadre))).json()
    survey = next(SyntheticCounty(COUNTY, seed=99).households(1, VILLAGE_A)).survey()
    for extra in ({"status": "registered"}, {"category": "wubao"}, {"id": household_id}):
        response = await gateway.http.post("/api/v1/surveys", json={**survey, **extra}, headers=auth(cadre))
        assert response.status_code == 422, response.text
        assert [field["loc"][-1] for field in response.json()["fields"]] == list(extra)
    after = (await gateway.http.get(f"/api/v1/households/{household_id}", headers=auth(cadre))).json()
    assert after["status"] == before["status"] == "applicant"
    assert after["version"] == before["version"]


async def test_nobody_sets_a_payments_status_and_a_cadre_cannot_pay_at_all(gateway: Gateway) -> None:
    cadre = await gateway.person("cadre.pay", ["cadre"], [VILLAGE_A])
    finance = await gateway.person("finance.pay", ["finance_officer"], [COUNTY])
    body = {"program_id": str(uuid.uuid4()), "household_id": str(uuid.uuid4()), "amount_fen": 100}
    headers = {"Idempotency-Key": "mass-assign-0001"}
    as_cadre = await gateway.http.post("/api/v1/payments", json=body, headers={**headers, **auth(cadre)})
    assert as_cadre.status_code == 403
    for extra in ({"status": "paid"}, {"bank_reference": "X1"}):
        forged = await gateway.http.post(
            "/api/v1/payments", json={**body, **extra}, headers={**headers, **auth(finance)}
        )
        assert forged.status_code == 422, forged.text


async def test_people_cannot_give_themselves_roles_or_regions(gateway: Gateway) -> None:
    cadre = await gateway.person("cadre.self", ["cadre"], [VILLAGE_A])
    me = (await gateway.http.get("/api/v1/auth/me", headers=auth(cadre))).json()
    change = await gateway.http.post(
        "/api/v1/auth/password",
        headers=auth(cadre),
        json={"current_password": "Fupin-test-2026", "new_password": "Another-2026x", "roles": ["admin"]},
    )
    assert change.status_code == 422
    patch = await gateway.http.patch(
        f"/api/v1/users/{me['subject']}", headers=auth(cadre), json={"roles": ["admin"]}
    )
    assert patch.status_code == 403
    admin = gateway.system.admin_token
    hidden_fields = await gateway.http.patch(
        f"/api/v1/users/{me['subject']}", headers=auth(admin), json={"password_hash": "x", "username": "root"}
    )
    assert hidden_fields.status_code == 422
    service_client = await gateway.http.post(
        "/api/v1/clients",
        headers=auth(admin),
        json={"client_id": "bank.kind", "name": "b", "scopes": ["credit:check"], "kind": "service"},
    )
    assert service_client.status_code == 422
    reserved = await gateway.http.post(
        "/api/v1/clients",
        headers=auth(admin),
        json={"client_id": "svc-registry", "name": "b", "scopes": ["credit:check"]},
    )
    assert reserved.status_code == 422


async def test_a_cadre_and_an_auditor_cannot_call_admin_functions(gateway: Gateway) -> None:
    cadre = await gateway.person("cadre.fn", ["cadre"], [VILLAGE_A])
    auditor = await gateway.person("auditor.fn", ["auditor"], [COUNTY])
    some_user = str(uuid.uuid4())
    calls = [
        (
            "POST",
            "/api/v1/users",
            {"username": "x.y.z", "display_name": "x", "password": "Abcdefgh123", "roles": ["admin"]},
        ),
        ("GET", "/api/v1/users", None),
        ("PATCH", f"/api/v1/users/{some_user}", {"disabled": True}),
        ("POST", f"/api/v1/users/{some_user}/password", {"new_password": "Abcdefgh123"}),
        ("POST", f"/api/v1/users/{some_user}/unlock", None),
        ("GET", f"/api/v1/users/{some_user}/sessions", None),
        ("POST", "/api/v1/clients", {"client_id": "bank.x", "name": "x", "scopes": ["credit:check"]}),
        ("GET", "/api/v1/clients", None),
        ("POST", "/api/v1/keys/rotate", None),
        ("GET", "/api/v1/keys", None),
    ]
    for token in (cadre, auditor):
        for method, path, body in calls:
            response = await gateway.http.request(method, path, json=body, headers=auth(token))
            assert response.status_code == 403, (method, path, response.text)
    assert (await gateway.http.get("/api/v1/audit/gateway/verify", headers=auth(cadre))).status_code == 403
    assert (await gateway.http.get("/api/v1/audit/gateway/verify", headers=auth(auditor))).status_code == 200


async def test_a_bank_sees_eligible_and_category_and_nothing_else(gateway: Gateway) -> None:
    cadre = await gateway.person("cadre.bank", ["cadre"], [VILLAGE_A])
    household_id, id_number = await gateway.household(cadre, VILLAGE_A)
    _, bank = await gateway.partner("rcc.tianzhu", ["credit:check"])
    check = {"id_number": id_number}

    applicant = await gateway.http.post("/api/v1/credit-checks", json=check, headers=auth(bank))
    assert applicant.status_code == 200, applicant.text
    assert applicant.json() == {"eligible": False, "category": None, "category_label": None}

    registry = gateway.system.app("registry").state.database
    async with registry.sessionmaker() as session, session.begin():
        await session.execute(
            update(Household)
            .where(Household.id == uuid.UUID(household_id))
            .values(status="registered", category="general_poor")
        )
    registered = await gateway.http.post("/api/v1/credit-checks", json=check, headers=auth(bank))
    assert registered.json() == {"eligible": True, "category": "general_poor", "category_label": "一般贫困户"}
    household = (await gateway.http.get(f"/api/v1/households/{household_id}", headers=auth(cadre))).json()
    for secret in (household_id, household["head_name"], id_number, household["village_code"]):
        assert secret not in registered.text

    # The bank's token opens nothing else: not the household, not a survey, not the users.
    assert (
        await gateway.http.get(f"/api/v1/households/{household_id}", headers=auth(bank))
    ).status_code == 404
    assert (await gateway.http.get("/api/v1/users", headers=auth(bank))).status_code == 403
    assert (await gateway.http.post("/api/v1/surveys", json={}, headers=auth(bank))).status_code in (403, 422)
    stranger = await gateway.http.post(
        "/api/v1/credit-checks", json={"id_number": "11010519491231002X"}, headers=auth(bank)
    )
    assert stranger.json()["eligible"] is False
    bad = await gateway.http.post(
        "/api/v1/credit-checks", json={"id_number": "110105194912310021"}, headers=auth(bank)
    )
    assert bad.status_code == 422


async def test_only_the_credit_check_scope_opens_the_credit_check(gateway: Gateway) -> None:
    cadre = await gateway.person("cadre.scope", ["cadre"], [VILLAGE_A])
    _, notifier = await gateway.partner("bank.notify", ["payments:notify"])
    body = {"id_number": "11010519491231002X"}
    assert (
        await gateway.http.post("/api/v1/credit-checks", json=body, headers=auth(notifier))
    ).status_code == 403
    assert (
        await gateway.http.post("/api/v1/credit-checks", json=body, headers=auth(cadre))
    ).status_code == 403
    assert (await gateway.http.post("/api/v1/credit-checks", json=body)).status_code == 401


async def test_no_endpoint_takes_a_url_from_the_caller(gateway: Gateway) -> None:
    """SSRF (API7): nothing in the public API accepts an address the server would then fetch."""
    document = (await gateway.http.get("/openapi.json")).json()

    def names(schema: object) -> list[str]:
        found: list[str] = []
        if isinstance(schema, dict):
            for key, value in schema.items():
                if key == "properties" and isinstance(value, dict):
                    found.extend(value)
                if key == "format" and value in ("uri", "url"):
                    found.append("format_uri")
                found.extend(names(value))
        elif isinstance(schema, list):
            for item in schema:
                found.extend(names(item))
        return found

    request_schemas = [
        op.get("requestBody", {})
        for item in document["paths"].values()
        for op in item.values()
        if isinstance(op, dict)
    ]
    parameters = [
        p["name"]
        for item in document["paths"].values()
        for op in item.values()
        if isinstance(op, dict)
        for p in op.get("parameters", [])
    ]
    schemas = document["components"]["schemas"]
    referenced = json.dumps(request_schemas)
    reached: set[str] = set()
    while True:  # every schema a request body reaches, however deeply nested
        found = {name for name in schemas if f'"#/components/schemas/{name}"' in referenced} - reached
        if not found:
            break
        reached |= found
        referenced += json.dumps([schemas[name] for name in found])
    bodies = [name for schema_name in reached for name in names(schemas[schema_name])]
    words = {"url", "uri", "callback", "webhook", "endpoint", "host", "redirect", "href", "link"}
    offending = [
        name for name in bodies + parameters if words & set(name.lower().replace("-", "_").split("_"))
    ]
    assert offending == []
    assert len(document["paths"]) > 20  # the merged document really covers the services
