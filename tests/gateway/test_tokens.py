"""Broken authentication (OWASP API2): forged, expired and foreign tokens are refused by the gateway
and by every service on its own; rotated keys keep verifying until their tokens expire."""

import datetime as dt
import time
import uuid

import httpx
import pytest
from sqlalchemy import select

from services.gateway.keys.ring import KeyRing
from services.gateway.models import SigningKeyRecord
from services.kit.tokens import generate_signing_key, issue_token
from tests.gateway import forge
from tests.gateway.conftest import VILLAGE_A, Gateway
from tests.support.system import ADMIN_PASSWORD, RunningSystem, auth

HOUSEHOLD_PATH = f"/api/v1/households/{uuid.uuid4()}"


def gateway_key(system: RunningSystem) -> tuple[str, str]:
    key = system.app("gateway").state.key_ring.signing_key()
    return key.kid, key.private_pem


async def refused_everywhere(system: RunningSystem, token: str) -> None:
    """401 at the gateway's own endpoint, through the proxy, and straight at the registry (no gateway)."""
    assert (await system.api.http.get("/api/v1/auth/me", headers=auth(token))).status_code == 401
    proxied = await system.api.http.get(HOUSEHOLD_PATH, headers=auth(token))
    assert proxied.status_code == 401, proxied.text
    assert proxied.json()["error"] == "unauthorized"
    registry = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=system.app("registry")), base_url="http://registry"
    )
    async with registry:
        direct = await registry.get(HOUSEHOLD_PATH, headers=auth(token))
    assert direct.status_code == 401, direct.text


async def test_a_correctly_forged_token_is_accepted_so_the_refusals_below_mean_something(
    system: RunningSystem,
) -> None:
    kid, pem = gateway_key(system)
    token = forge.sign_es256(pem, {"alg": "ES256", "kid": kid, "typ": "JWT"}, forge.claims())
    me = await system.api.http.get("/api/v1/auth/me", headers=auth(token))
    assert me.status_code == 200, me.text
    assert me.json()["name"] == "mallory"


async def test_alg_none_is_refused(system: RunningSystem) -> None:
    await refused_everywhere(system, forge.unsigned(forge.claims()))
    kid, _ = gateway_key(system)
    with_kid = f"{forge.segment({'alg': 'none', 'kid': kid})}.{forge.segment(forge.claims())}."
    await refused_everywhere(system, with_kid)


async def test_hs256_signed_with_the_public_key_is_refused(system: RunningSystem) -> None:
    kid, pem = gateway_key(system)
    token = forge.sign_hs256(forge.public_pem(pem), {"alg": "HS256", "kid": kid}, forge.claims())
    await refused_everywhere(system, token)


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"exp": int(time.time()) - 1, "iat": int(time.time()) - 901}, id="expired"),
        pytest.param({"aud": "another-system"}, id="wrong-aud"),
        pytest.param({"iss": "https://evil.example"}, id="wrong-iss"),
        pytest.param({"exp": None}, id="no-exp"),
        pytest.param({"iat": None}, id="no-iat"),
        pytest.param({"sub": None}, id="no-sub"),
        pytest.param({"aud": None}, id="no-aud"),
        pytest.param({"iss": None}, id="no-iss"),
    ],
)
async def test_claims_that_are_wrong_or_missing_are_refused(system: RunningSystem, overrides: dict) -> None:
    kid, pem = gateway_key(system)
    await refused_everywhere(
        system, forge.sign_es256(pem, {"alg": "ES256", "kid": kid}, forge.claims(**overrides))
    )


async def test_tampered_payload_is_refused(gateway: Gateway) -> None:
    cadre = await gateway.person("cadre.tamper", ["cadre"], [VILLAGE_A])
    assert (await gateway.http.get("/api/v1/auth/me", headers=auth(cadre))).status_code == 200
    await refused_everywhere(gateway.system, forge.tamper(cadre, roles=["admin"], regions=[]))


async def test_unknown_kid_and_missing_kid_are_refused(system: RunningSystem) -> None:
    stranger = generate_signing_key()
    await refused_everywhere(
        system, forge.sign_es256(stranger.private_pem, {"alg": "ES256", "kid": stranger.kid}, forge.claims())
    )
    _, pem = gateway_key(system)
    await refused_everywhere(system, forge.sign_es256(pem, {"alg": "ES256"}, forge.claims()))


async def test_our_kid_with_a_stranger_key_is_refused(system: RunningSystem) -> None:
    kid, _ = gateway_key(system)
    stranger = generate_signing_key()
    await refused_everywhere(
        system, forge.sign_es256(stranger.private_pem, {"alg": "ES256", "kid": kid}, forge.claims())
    )


async def test_access_tokens_live_fifteen_minutes(gateway: Gateway) -> None:
    response = await gateway.login("admin", ADMIN_PASSWORD)
    assert response.json()["expires_in"] == 900
    token = response.json()["access_token"]
    key = gateway.app.state.key_ring.signing_key()
    issued_long_ago = issue_token(
        key,
        subject="someone",
        issuer=gateway.settings.token_issuer,
        audience=gateway.settings.token_audience,
        claims={"typ": "user", "roles": ["admin"]},
        now=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=901),
    )
    await refused_everywhere(gateway.system, issued_long_ago)
    assert (await gateway.http.get("/api/v1/auth/me", headers=auth(token))).status_code == 200


async def test_rotation_publishes_first_then_signs_and_old_tokens_keep_working(gateway: Gateway) -> None:
    admin = gateway.system.admin_token
    cadre = await gateway.person("cadre.rotate", ["cadre"], [VILLAGE_A])
    ring = gateway.app.state.key_ring
    old_kid = ring.signing_key().kid

    pending = await gateway.http.post("/api/v1/keys/rotate", headers=auth(admin))
    assert pending.status_code == 201, pending.text
    new_kid = pending.json()["kid"]
    assert pending.json()["signing"] is False
    await gateway.app.state.reloader.reload()
    published = {key["kid"] for key in (await gateway.http.get("/api/v1/auth/jwks")).json()["keys"]}
    assert {old_kid, new_kid} <= published  # verifiers can learn it before it is used
    assert ring.signing_key().kid == old_kid

    # During the publish lead every service refreshes its keys (at least every jwks_max_age_seconds,
    # which is below the lead); then the lead elapses.
    for name in ("registry", "eligibility", "subsidy"):
        await gateway.system.app(name).state.token_verifier.refresh()
    lead = dt.timedelta(seconds=gateway.settings.key_publish_lead_seconds)
    async with gateway.app.state.database.sessionmaker() as session, session.begin():
        for record in await session.scalars(select(SigningKeyRecord)):
            record.created_at -= lead
            record.activates_at -= lead if record.kid == new_kid else dt.timedelta(0)
            if record.retired_at is not None:
                record.retired_at -= lead
    await gateway.app.state.reloader.reload()

    fresh = (await gateway.login("cadre.rotate", "Fupin-test-2026", device_id="phone-2")).json()[
        "access_token"
    ]
    assert forge.header(fresh)["kid"] == new_kid
    assert forge.header(cadre)["kid"] == old_kid
    for token in (cadre, fresh):  # signed before and after the rotation
        assert (await gateway.http.get("/api/v1/auth/me", headers=auth(token))).status_code == 200
        read = await gateway.http.get(HOUSEHOLD_PATH, headers=auth(token))
        assert read.status_code == 404, (
            read.text
        )  # verified by the registry, then not in the cadre's villages

    keys = {key["kid"]: key for key in (await gateway.http.get("/api/v1/keys", headers=auth(admin))).json()}
    assert keys[new_kid]["signing"] is True
    assert keys[old_kid]["signing"] is False
    assert keys[old_kid]["published"] is True
    # One token lifetime after retirement the old key leaves the JWKS; the new one stays.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=gateway.settings.access_token_seconds + 1)
    assert {key["kid"] for key in ring.jwks(later)["keys"]} == {new_kid}


async def test_rotation_reaches_another_gateway_replica_by_reloading(gateway: Gateway) -> None:
    """Two replicas share a database: the second learns the first one's new key on its periodic reload."""
    replica = KeyRing(gateway.settings.access_token_seconds)
    async with gateway.app.state.database.sessionmaker() as session, session.begin():
        await replica.load(session)
    gateway.settings.key_publish_lead_seconds = 0
    rotated = await gateway.http.post("/api/v1/keys/rotate", headers=auth(gateway.system.admin_token))
    assert replica.signing_key().kid != rotated.json()["kid"]
    async with gateway.app.state.database.sessionmaker() as session, session.begin():
        await replica.load(session)
    assert replica.signing_key().kid == rotated.json()["kid"]
