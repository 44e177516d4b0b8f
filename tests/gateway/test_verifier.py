"""TokenVerifier (every service's copy of the gateway's keys): refetch on rotation, not on every forgery."""

from typing import Any

import pytest

from services.kit.tokens import InvalidToken, SigningKey, TokenVerifier, generate_signing_key, issue_token


class Jwks:
    """A JWKS endpoint under the test's control, counting fetches."""

    def __init__(self, *keys: SigningKey) -> None:
        self.keys = list(keys)
        self.fetches = 0
        self.down = False

    async def __call__(self) -> dict[str, Any]:
        self.fetches += 1
        if self.down:
            raise ConnectionError("gateway unreachable")
        return {"keys": [key.public_jwk for key in self.keys]}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def token(key: SigningKey) -> str:
    return issue_token(key, subject="u1", issuer="fupin-gateway", audience="fupin", claims={"typ": "user"})


def verifier(jwks: Jwks, clock: Clock) -> TokenVerifier:
    return TokenVerifier("fupin-gateway", "fupin", jwks, refetch_seconds=30, max_age_seconds=60, clock=clock)


async def test_a_rotated_key_is_fetched_once_and_forged_kids_do_not_hammer_the_gateway() -> None:
    old, new = generate_signing_key(), generate_signing_key()
    jwks, clock = Jwks(old), Clock()
    check = verifier(jwks, clock)
    assert (await check.verify(token(old)))["sub"] == "u1"
    assert jwks.fetches == 1

    stranger = generate_signing_key()
    for _ in range(20):
        with pytest.raises(InvalidToken, match="unknown signing key"):
            await check.verify(token(stranger))
    assert jwks.fetches == 1  # inside the refetch window: forged kids cost nothing

    jwks.keys.append(new)  # the gateway rotates
    clock.now += 31
    assert (await check.verify(token(new)))["sub"] == "u1"
    assert jwks.fetches == 2
    assert (await check.verify(token(old)))["sub"] == "u1"  # the old key still verifies
    assert jwks.fetches == 2


async def test_keys_are_refreshed_at_least_every_max_age_so_retired_keys_drop_out() -> None:
    old, new = generate_signing_key(), generate_signing_key()
    jwks, clock = Jwks(old, new), Clock()
    check = verifier(jwks, clock)
    await check.verify(token(old))
    jwks.keys = [new]  # the old key's last tokens have expired: the gateway stops publishing it
    clock.now += 61
    with pytest.raises(InvalidToken):
        await check.verify(token(old))
    assert (await check.verify(token(new)))["sub"] == "u1"


async def test_an_unreachable_gateway_does_not_break_verification_with_cached_keys() -> None:
    key = generate_signing_key()
    jwks, clock = Jwks(key), Clock()
    check = verifier(jwks, clock)
    await check.verify(token(key))
    jwks.down = True
    clock.now += 120
    assert (await check.verify(token(key)))["sub"] == "u1"
