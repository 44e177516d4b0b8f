"""Password sign-in: argon2id, a minimum policy, lockout after 5 failures in 15 minutes, admin reset."""

import asyncio
import datetime as dt

from sqlalchemy import func, select

from services.gateway.models import LoginFailure, User
from tests.gateway.conftest import VILLAGE_A, Gateway
from tests.support.system import PASSWORD, auth


async def fail(gateway: Gateway, username: str, times: int) -> list[int]:
    return [(await gateway.login(username, "wrong-password-1")).status_code for _ in range(times)]


async def test_five_failures_lock_the_account_even_for_the_right_password(gateway: Gateway) -> None:
    await gateway.person("cadre.lock", ["cadre"], [VILLAGE_A])
    assert await fail(gateway, "cadre.lock", 5) == [401] * 5
    locked = await gateway.login("cadre.lock", PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["error"] == "account_locked"
    assert 0 < int(locked.headers["retry-after"]) <= 15 * 60

    lockouts = await gateway.audit(action="login.lockout")
    assert len(lockouts) == 1
    assert lockouts[0].actor == "cadre.lock"
    outcomes = [r.outcome for r in await gateway.audit(action="login", actor="cadre.lock")]
    assert outcomes == ["failed"] * 5 + ["locked"]


async def test_four_failures_do_not_lock_and_success_starts_the_count_again(gateway: Gateway) -> None:
    await gateway.person("cadre.four", ["cadre"], [VILLAGE_A])
    assert await fail(gateway, "cadre.four", 4) == [401] * 4
    assert (await gateway.login("cadre.four", PASSWORD)).status_code == 200
    assert await fail(gateway, "cadre.four", 4) == [401] * 4
    assert (await gateway.login("cadre.four", PASSWORD)).status_code == 200


async def test_failures_older_than_the_window_do_not_count(gateway: Gateway) -> None:
    await gateway.person("cadre.old", ["cadre"], [VILLAGE_A])
    await fail(gateway, "cadre.old", 5)
    assert (await gateway.login("cadre.old", PASSWORD)).status_code == 429
    async with gateway.app.state.database.sessionmaker() as session, session.begin():
        for failure in await session.scalars(select(LoginFailure)):
            failure.at -= dt.timedelta(minutes=15, seconds=1)
    assert (await gateway.login("cadre.old", PASSWORD)).status_code == 200


async def test_unknown_usernames_lock_the_same_way_so_lockout_reveals_nothing(gateway: Gateway) -> None:
    assert await fail(gateway, "nobody.here", 5) == [401] * 5
    response = await gateway.login("nobody.here", "whatever-123")
    assert response.status_code == 429
    assert response.json()["error"] == "account_locked"


async def test_racing_failures_are_counted_exactly(gateway: Gateway) -> None:
    """Twelve wrong passwords at once: exactly five are tried and counted, the rest meet the lock."""
    await gateway.person("cadre.rush", ["cadre"], [VILLAGE_A])
    responses = await asyncio.gather(*(gateway.login("cadre.rush", f"wrong-password-{i}") for i in range(12)))
    assert sorted(r.status_code for r in responses) == [401] * 5 + [429] * 7
    async with gateway.app.state.database.sessionmaker() as session:
        counted = await session.scalar(
            select(func.count()).select_from(LoginFailure).where(LoginFailure.username == "cadre.rush")
        )
    assert counted == 5
    assert len(await gateway.audit(action="login.lockout")) == 1


async def test_admin_reset_lifts_the_lock_and_ends_sessions(gateway: Gateway) -> None:
    cadre = await gateway.person("cadre.reset", ["cadre"], [VILLAGE_A])
    user_id = (await gateway.http.get("/api/v1/auth/me", headers=auth(cadre))).json()["subject"]
    await fail(gateway, "cadre.reset", 5)
    admin = gateway.system.admin_token
    weak = await gateway.http.post(
        f"/api/v1/users/{user_id}/password", headers=auth(admin), json={"new_password": "short1"}
    )
    assert weak.status_code == 422
    assert weak.json()["error"] == "weak_password"
    reset = await gateway.http.post(
        f"/api/v1/users/{user_id}/password", headers=auth(admin), json={"new_password": "New-pass-2026x"}
    )
    assert reset.status_code == 204
    assert (await gateway.http.get("/api/v1/auth/me", headers=auth(cadre))).status_code == 401
    assert (await gateway.login("cadre.reset", PASSWORD)).status_code == 401
    assert (await gateway.login("cadre.reset", "New-pass-2026x")).status_code == 200


async def test_admin_unlock_lifts_the_lock_without_a_new_password(gateway: Gateway) -> None:
    cadre = await gateway.person("cadre.unlock", ["cadre"], [VILLAGE_A])
    user_id = (await gateway.http.get("/api/v1/auth/me", headers=auth(cadre))).json()["subject"]
    await fail(gateway, "cadre.unlock", 5)
    assert (await gateway.login("cadre.unlock", PASSWORD)).status_code == 429
    assert (
        await gateway.http.post(f"/api/v1/users/{user_id}/unlock", headers=auth(cadre))
    ).status_code == 403
    unlocked = await gateway.http.post(
        f"/api/v1/users/{user_id}/unlock", headers=auth(gateway.system.admin_token)
    )
    assert unlocked.status_code == 204
    assert (await gateway.login("cadre.unlock", PASSWORD)).status_code == 200


async def test_passwords_are_argon2id_and_the_policy_refuses_weak_ones(gateway: Gateway) -> None:
    admin = gateway.system.admin_token
    for weak in ("short1a", "onlyletterspassword", "1234567890123", "cadre.weak-2026"):
        response = await gateway.http.post(
            "/api/v1/users",
            headers=auth(admin),
            json={
                "username": "cadre.weak",
                "display_name": "w",
                "password": weak,
                "roles": ["cadre"],
                "regions": [VILLAGE_A],
            },
        )
        assert response.status_code == 422, weak
        assert response.json()["error"] == "weak_password"
    await gateway.person("cadre.strong", ["cadre"], [VILLAGE_A])
    async with gateway.app.state.database.sessionmaker() as session:
        stored = await session.scalar(select(User.password_hash).where(User.username == "cadre.strong"))
    assert stored is not None
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


async def test_a_person_changes_their_password_and_other_devices_sign_out(gateway: Gateway) -> None:
    await gateway.person("cadre.change", ["cadre"], [VILLAGE_A])
    phone = (await gateway.login("cadre.change", PASSWORD, "phone-1")).json()
    laptop = (await gateway.login("cadre.change", PASSWORD, "laptop-1")).json()
    wrong = await gateway.http.post(
        "/api/v1/auth/password",
        headers=auth(phone["access_token"]),
        json={"current_password": "not-it-123", "new_password": "Changed-2026abc"},
    )
    assert wrong.status_code == 401
    changed = await gateway.http.post(
        "/api/v1/auth/password",
        headers=auth(phone["access_token"]),
        json={"current_password": PASSWORD, "new_password": "Changed-2026abc"},
    )
    assert changed.status_code == 204
    assert (await gateway.http.get("/api/v1/auth/me", headers=auth(phone["access_token"]))).status_code == 200
    assert (
        await gateway.http.get("/api/v1/auth/me", headers=auth(laptop["access_token"]))
    ).status_code == 401
    assert (await gateway.login("cadre.change", "Changed-2026abc")).status_code == 200
