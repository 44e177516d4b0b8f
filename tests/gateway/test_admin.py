"""Admins manage people (roles, regions, disable) and partner clients (scopes, secrets, disable)."""

from tests.gateway.conftest import COUNTY, VILLAGE_A, VILLAGE_B, Gateway
from tests.support.system import PASSWORD, auth


async def user_id_of(gateway: Gateway, token: str) -> str:
    subject: str = (await gateway.http.get("/api/v1/auth/me", headers=auth(token))).json()["subject"]
    return subject


async def test_new_roles_or_regions_end_old_sessions_and_show_in_new_tokens(gateway: Gateway) -> None:
    admin = gateway.system.admin_token
    cadre = await gateway.person("cadre.move", ["cadre"], [VILLAGE_A])
    user_id = await user_id_of(gateway, cadre)
    changed = await gateway.http.patch(
        f"/api/v1/users/{user_id}",
        headers=auth(admin),
        json={"regions": [VILLAGE_B], "roles": ["village_officer"]},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["regions"] == [VILLAGE_B]
    assert changed.json()["version"] == 2
    assert (await gateway.http.get("/api/v1/auth/me", headers=auth(cadre))).status_code == 401
    fresh = (await gateway.login("cadre.move", PASSWORD)).json()["access_token"]
    me = (await gateway.http.get("/api/v1/auth/me", headers=auth(fresh))).json()
    assert (me["roles"], me["regions"]) == (["village_officer"], [VILLAGE_B])
    record = (await gateway.audit(action="user.update"))[-1]
    assert record.detail["changed"] == ["regions", "roles"]
    assert record.detail["before"]["regions"] == [VILLAGE_A]


async def test_a_disabled_person_is_refused_at_once_and_cannot_sign_in(gateway: Gateway) -> None:
    admin = gateway.system.admin_token
    cadre = await gateway.person("cadre.gone", ["cadre"], [VILLAGE_A])
    user_id = await user_id_of(gateway, cadre)
    assert (
        await gateway.http.patch(f"/api/v1/users/{user_id}", headers=auth(admin), json={"disabled": True})
    ).status_code == 200
    assert (await gateway.http.get("/api/v1/auth/me", headers=auth(cadre))).status_code == 401
    assert (await gateway.login("cadre.gone", PASSWORD)).status_code == 401
    assert (
        await gateway.http.patch(f"/api/v1/users/{user_id}", headers=auth(admin), json={"disabled": False})
    ).status_code == 200
    assert (await gateway.login("cadre.gone", PASSWORD)).status_code == 200


async def test_roles_need_regions_and_admins_cannot_lock_themselves_out(gateway: Gateway) -> None:
    admin = gateway.system.admin_token
    regionless = await gateway.http.post(
        "/api/v1/users",
        headers=auth(admin),
        json={
            "username": "cadre.nowhere",
            "display_name": "x",
            "password": "Abcdefgh-2026",
            "roles": ["cadre"],
        },
    )
    assert regionless.status_code == 422
    admin_id = await user_id_of(gateway, admin)
    for body in ({"disabled": True}, {"roles": ["auditor"], "regions": [COUNTY]}):
        response = await gateway.http.patch(f"/api/v1/users/{admin_id}", headers=auth(admin), json=body)
        assert response.status_code == 409
    assert (await gateway.http.get(f"/api/v1/users/{admin_id}", headers=auth(admin))).json()[
        "disabled"
    ] is False


async def test_partner_client_lifecycle(gateway: Gateway) -> None:
    admin = gateway.system.admin_token
    secret, token = await gateway.partner("rcc.jinping", ["credit:check"])
    listed = (await gateway.http.get("/api/v1/clients", headers=auth(admin))).json()
    assert [c["client_id"] for c in listed] == ["rcc.jinping"]  # our services' clients are not listed
    assert "client_secret" not in listed[0]
    me = (await gateway.http.get("/api/v1/auth/me", headers=auth(token))).json()
    assert (me["kind"], me["scopes"], me["roles"]) == ("client", ["credit:check"], [])

    duplicate = await gateway.http.post(
        "/api/v1/clients",
        headers=auth(admin),
        json={"client_id": "rcc.jinping", "name": "again", "scopes": ["loans:report"]},
    )
    assert duplicate.status_code == 409
    unknown_scope = await gateway.http.post(
        "/api/v1/clients",
        headers=auth(admin),
        json={"client_id": "bank.greedy", "name": "g", "scopes": ["admin"]},
    )
    assert unknown_scope.status_code == 422

    rotated = await gateway.http.post("/api/v1/clients/rcc.jinping/secret", headers=auth(admin))
    new_secret = rotated.json()["client_secret"]
    assert new_secret != secret
    old = await gateway.http.post(
        "/api/v1/auth/token",
        data={"grant_type": "client_credentials", "client_id": "rcc.jinping", "client_secret": secret},
    )
    assert old.status_code == 401
    token = await gateway.client_token("rcc.jinping", new_secret)

    scoped = await gateway.http.patch(
        "/api/v1/clients/rcc.jinping", headers=auth(admin), json={"scopes": ["loans:report"]}
    )
    assert scoped.json()["scopes"] == ["loans:report"]
    disabled = await gateway.http.patch(
        "/api/v1/clients/rcc.jinping", headers=auth(admin), json={"disabled": True}
    )
    assert disabled.json()["disabled"] is True
    assert (await gateway.http.get("/api/v1/auth/me", headers=auth(token))).status_code == 401
    refused = await gateway.http.post(
        "/api/v1/auth/token",
        data={"grant_type": "client_credentials", "client_id": "rcc.jinping", "client_secret": new_secret},
    )
    assert refused.status_code == 401
    assert [
        r.action
        for r in await gateway.audit(entity_type="api_client", actor=await user_id_of(gateway, admin))
    ] == [
        "client.create",
        "client.rotate_secret",
        "client.update",
        "client.update",
    ]
    assert (await gateway.http.get("/api/v1/clients/svc-registry", headers=auth(admin))).status_code == 404


async def test_a_person_with_many_regions_and_every_role_is_audited_in_full(gateway: Gateway) -> None:
    """A county-wide officer may hold 30 villages and several roles; the audit must still record them."""
    villages = [f"522627{town:03d}{village:03d}" for town in range(1, 4) for village in range(201, 211)]
    roles = ["cadre", "village_officer", "township_reviewer", "county_approver", "finance_officer", "auditor"]
    await gateway.person("officer.busy", roles, villages)
    signed_in = await gateway.login("officer.busy", PASSWORD)
    assert signed_in.status_code == 200, signed_in.text
    token = signed_in.json()["access_token"]
    assert (await gateway.http.post("/api/v1/auth/logout", headers=auth(token))).status_code in (200, 204)
    signed = await gateway.audit(action="login", outcome="ok")
    login = [r for r in signed if "auditor" in r.actor_roles]
    assert login
    assert login[-1].actor_regions.split(",") == villages
    assert len(await gateway.audit(action="session.revoke", actor=login[-1].actor)) == 1
