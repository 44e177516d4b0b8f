"""Device sessions: rotating refresh tokens, reuse revokes the session, logout, lost phones."""

import asyncio

from sqlalchemy import select

from services.gateway.models import DeviceSession, RefreshToken
from services.gateway.sessions.revocations import Revocations
from services.kit.auth import Principal
from services.kit.tokens import hash_opaque_token
from tests.gateway.conftest import VILLAGE_A, Gateway
from tests.support.system import PASSWORD, auth


async def sign_in(gateway: Gateway, username: str, device_id: str) -> dict:
    response = await gateway.login(username, PASSWORD, device_id)
    assert response.status_code == 200, response.text
    body: dict = response.json()
    return body


async def refresh(gateway: Gateway, token: str):
    return await gateway.http.post("/api/v1/auth/refresh", json={"refresh_token": token})


async def test_refresh_tokens_rotate_on_every_use_and_are_stored_hashed(gateway: Gateway) -> None:
    await gateway.person("cadre.rot", ["cadre"], [VILLAGE_A])
    first = await sign_in(gateway, "cadre.rot", "phone-1")
    assert first["expires_in"] == 900
    second = (await refresh(gateway, first["refresh_token"])).json()
    third = (await refresh(gateway, second["refresh_token"])).json()
    assert len({first["refresh_token"], second["refresh_token"], third["refresh_token"]}) == 3
    assert first["session_id"] == second["session_id"] == third["session_id"]
    assert (await gateway.http.get("/api/v1/auth/me", headers=auth(third["access_token"]))).status_code == 200

    async with gateway.app.state.database.sessionmaker() as session:
        stored = (await session.execute(select(RefreshToken.token_hash))).scalars().all()
    assert hash_opaque_token(third["refresh_token"]) in stored
    assert not any(token in stored for token in (first["refresh_token"], third["refresh_token"]))


async def test_reusing_a_spent_refresh_token_revokes_the_whole_session(gateway: Gateway) -> None:
    await gateway.person("cadre.reuse", ["cadre"], [VILLAGE_A])
    stolen = await sign_in(gateway, "cadre.reuse", "phone-1")
    other_device = await sign_in(gateway, "cadre.reuse", "tablet-1")
    legit = (await refresh(gateway, stolen["refresh_token"])).json()

    replay = await refresh(gateway, stolen["refresh_token"])
    assert replay.status_code == 401
    assert replay.json()["error"] == "refresh_token_reused"
    # Both holders are cut off: the newest refresh token and the access token of that session.
    assert (await refresh(gateway, legit["refresh_token"])).status_code == 401
    me = await gateway.http.get("/api/v1/auth/me", headers=auth(legit["access_token"]))
    assert me.status_code == 401
    assert me.json()["error"] == "session_revoked"
    # The other device's session is untouched.
    assert (await refresh(gateway, other_device["refresh_token"])).status_code == 200
    assert [r.outcome for r in await gateway.audit(action="token.refresh")] == [
        "ok",
        "reuse_detected",
        "session_ended",
        "ok",
    ]


async def test_racing_refreshes_of_one_token_let_one_through_and_revoke_the_session(gateway: Gateway) -> None:
    await gateway.person("cadre.race", ["cadre"], [VILLAGE_A])
    tokens = await sign_in(gateway, "cadre.race", "phone-1")
    results = await asyncio.gather(*(refresh(gateway, tokens["refresh_token"]) for _ in range(8)))
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200] + [401] * 7, [r.text for r in results]
    winner = next(r.json() for r in results if r.status_code == 200)
    assert (await refresh(gateway, winner["refresh_token"])).status_code == 401
    async with gateway.app.state.database.sessionmaker() as session:
        device_session = await session.get(DeviceSession, tokens["session_id"])
        assert device_session is not None
        assert device_session.revoked_reason == "refresh_reuse"
        issued = (
            (await session.execute(select(RefreshToken).where(RefreshToken.session_id == device_session.id)))
            .scalars()
            .all()
        )
    assert len(issued) == 2  # the first token and the winner's; the losers created nothing


async def test_logout_ends_the_session_and_its_access_token(gateway: Gateway) -> None:
    await gateway.person("cadre.out", ["cadre"], [VILLAGE_A])
    tokens = await sign_in(gateway, "cadre.out", "phone-1")
    assert (
        await gateway.http.post("/api/v1/auth/logout", headers=auth(tokens["access_token"]))
    ).status_code == 204
    assert (
        await gateway.http.get("/api/v1/auth/me", headers=auth(tokens["access_token"]))
    ).status_code == 401
    assert (await refresh(gateway, tokens["refresh_token"])).status_code == 401
    assert [r.reason for r in await gateway.audit(action="session.revoke")] == ["logout"]


async def test_a_person_lists_devices_and_ends_a_lost_phone(gateway: Gateway) -> None:
    await gateway.person("cadre.lost", ["cadre"], [VILLAGE_A])
    phone = await sign_in(gateway, "cadre.lost", "phone-1")
    laptop = await sign_in(gateway, "cadre.lost", "laptop-1")
    listed = (await gateway.http.get("/api/v1/auth/sessions", headers=auth(laptop["access_token"]))).json()
    # (test-device: the sign-in made when the account was created)
    assert {s["device_id"]: s["current"] for s in listed} == {
        "phone-1": False,
        "laptop-1": True,
        "test-device": False,
    }

    gone = await gateway.http.delete(
        f"/api/v1/auth/sessions/{phone['session_id']}", headers=auth(laptop["access_token"])
    )
    assert gone.status_code == 204
    assert (await refresh(gateway, phone["refresh_token"])).status_code == 401
    assert (await gateway.http.get("/api/v1/auth/me", headers=auth(phone["access_token"]))).status_code == 401
    assert (
        await gateway.http.get("/api/v1/auth/me", headers=auth(laptop["access_token"]))
    ).status_code == 200
    # The phone is found again: it signs in anew, even if it still sends its revoked token along.
    again = await gateway.http.post(
        "/api/v1/auth/login",
        headers=auth(phone["access_token"]),
        json={"username": "cadre.lost", "password": PASSWORD, "device_id": "phone-1"},
    )
    assert again.status_code == 200, again.text


async def test_nobody_ends_another_persons_session_except_an_admin(gateway: Gateway) -> None:
    await gateway.person("cadre.victim", ["cadre"], [VILLAGE_A])
    mallory = await gateway.person("cadre.mallory", ["cadre"], [VILLAGE_A])
    victim = await sign_in(gateway, "cadre.victim", "phone-1")
    attempt = await gateway.http.delete(
        f"/api/v1/auth/sessions/{victim['session_id']}", headers=auth(mallory)
    )
    assert attempt.status_code == 404
    me = (await gateway.http.get("/api/v1/auth/me", headers=auth(victim["access_token"]))).json()
    user_id = me["subject"]
    assert (
        await gateway.http.get(f"/api/v1/users/{user_id}/sessions", headers=auth(mallory))
    ).status_code == 403

    admin = gateway.system.admin_token
    sessions = (await gateway.http.get(f"/api/v1/users/{user_id}/sessions", headers=auth(admin))).json()
    assert sorted(s["device_id"] for s in sessions) == ["phone-1", "test-device"]
    ended = await gateway.http.delete(
        f"/api/v1/users/{user_id}/sessions/{victim['session_id']}", headers=auth(admin)
    )
    assert ended.status_code == 204
    assert (await refresh(gateway, victim["refresh_token"])).status_code == 401
    left = (await gateway.http.get(f"/api/v1/users/{user_id}/sessions", headers=auth(admin))).json()
    assert [s["device_id"] for s in left] == ["test-device"]


async def test_signing_in_again_on_the_same_device_replaces_its_session(gateway: Gateway) -> None:
    await gateway.person("cadre.again", ["cadre"], [VILLAGE_A])
    first = await sign_in(gateway, "cadre.again", "phone-1")
    second = await sign_in(gateway, "cadre.again", "phone-1")
    assert first["session_id"] != second["session_id"]
    assert (await refresh(gateway, first["refresh_token"])).status_code == 401
    listed = (await gateway.http.get("/api/v1/auth/sessions", headers=auth(second["access_token"]))).json()
    assert [s["id"] for s in listed if s["device_id"] == "phone-1"] == [second["session_id"]]


async def test_a_revocation_on_one_replica_reaches_another_on_reload(gateway: Gateway) -> None:
    await gateway.person("cadre.replica", ["cadre"], [VILLAGE_A])
    tokens = await sign_in(gateway, "cadre.replica", "phone-1")
    me = (await gateway.http.get("/api/v1/auth/me", headers=auth(tokens["access_token"]))).json()
    principal = Principal.from_claims({"sub": me["subject"], "typ": "user", "sid": me["session_id"]})
    other_replica = Revocations(gateway.settings.access_token_seconds)
    await gateway.http.post("/api/v1/auth/logout", headers=auth(tokens["access_token"]))
    assert not other_replica.refuses(principal)
    async with gateway.app.state.database.sessionmaker() as session:
        await other_replica.load(session)
    assert other_replica.refuses(principal)


async def test_a_reload_that_read_the_database_before_a_revocation_committed_does_not_undo_it(
    gateway: Gateway,
) -> None:
    revocations = Revocations(gateway.settings.access_token_seconds)
    revocations.revoke_session("session-1")
    revocations.set_disabled("user-1", True)
    async with gateway.app.state.database.sessionmaker() as session:
        await revocations.load(session)  # the database does not know either change yet
    assert revocations.refuses(Principal.from_claims({"sub": "user-2", "sid": "session-1"}))
    assert revocations.refuses(Principal.from_claims({"sub": "user-1"}))
    revocations.set_disabled("user-1", False)
    async with gateway.app.state.database.sessionmaker() as session:
        await revocations.load(session)
    assert not revocations.refuses(Principal.from_claims({"sub": "user-1"}))
