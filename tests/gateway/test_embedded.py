"""The identity flow also holds on the embedded SQLite files (one writer at a time, no advisory locks)."""

import os
import subprocess
import sys
from pathlib import Path

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


def test_a_weak_first_admin_password_is_refused_at_start_up(tmp_path: Path) -> None:
    """`make run` with FUPIN_ADMIN_PASSWORD set: the first admin obeys the same password policy."""
    result = subprocess.run(
        [sys.executable, "-m", "services.launcher", "run", "--port", "0", "--bank-port", "0"],
        env={**os.environ, "FUPIN_ADMIN_PASSWORD": "admin12345", "FUPIN_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "密码不得包含用户名" in result.stderr
