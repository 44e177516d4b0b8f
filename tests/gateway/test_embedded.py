"""The identity flow also holds on the embedded SQLite files (one writer at a time, no advisory locks)."""

from tests.gateway.conftest import VILLAGE_A, Gateway
from tests.support.system import PASSWORD, RunningSystem, auth


async def test_sessions_reuse_lockout_and_audit_chain_on_both_databases(any_system: RunningSystem) -> None:
    gateway = Gateway(any_system)
    await gateway.person("cadre.both", ["cadre"], [VILLAGE_A])
    tokens = (await gateway.login("cadre.both", PASSWORD)).json()
    renewed = await gateway.http.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert renewed.status_code == 200
    replay = await gateway.http.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert replay.json()["error"] == "refresh_token_reused"
    assert (
        await gateway.http.get("/api/v1/auth/me", headers=auth(renewed.json()["access_token"]))
    ).status_code == 401

    assert [(await gateway.login("cadre.both", "wrong-pass-1")).status_code for _ in range(5)] == [401] * 5
    assert (await gateway.login("cadre.both", PASSWORD)).status_code == 429

    login = next(
        r for r in await gateway.audit(action="login") if r.outcome == "ok" and r.actor_roles == "cadre"
    )
    assert login.actor_regions == VILLAGE_A
    report = await gateway.http.get("/api/v1/audit/gateway/verify", headers=auth(any_system.admin_token))
    assert report.json()["intact"] is True
    assert report.json()["records_checked"] > 10
