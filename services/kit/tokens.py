"""All JSON Web Token code (python-jose lives only here): signing keys, issuing, JWKS, verifying."""

import datetime as dt
import hashlib
import logging
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jwk, jwt
from jose.backends.base import Key
from jose.exceptions import ExpiredSignatureError, JWTError

ALGORITHM = "ES256"
ACCESS_TOKEN_SECONDS = 15 * 60
logger = logging.getLogger("fupin.tokens")


class InvalidToken(Exception):
    """The token is missing, malformed, expired, or not ours."""


@dataclass(frozen=True)
class SigningKey:
    """A private key with its id; the public half is published in the JWKS."""

    kid: str
    private_pem: str
    public_jwk: dict[str, Any]


def generate_signing_key() -> SigningKey:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    kid = uuid.uuid4().hex[:16]
    public = jwk.construct(public_pem, ALGORITHM).to_dict()
    public.update({"kid": kid, "use": "sig", "alg": ALGORITHM})
    return SigningKey(kid=kid, private_pem=pem, public_jwk=public)


def issue_token(
    key: SigningKey,
    *,
    subject: str,
    issuer: str,
    audience: str,
    claims: dict[str, Any],
    ttl_seconds: int = ACCESS_TOKEN_SECONDS,
    now: dt.datetime | None = None,
) -> str:
    issued = int((now or dt.datetime.now(dt.UTC)).timestamp())
    payload = {
        **claims,
        "sub": subject,
        "iss": issuer,
        "aud": audience,
        "iat": issued,
        "exp": issued + ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(payload, key.private_pem, algorithm=ALGORITHM, headers={"kid": key.kid})


def new_refresh_token() -> tuple[str, str]:
    """An opaque refresh token and the hash to store (the token itself is never stored)."""
    token = secrets.token_urlsafe(32)
    return token, hash_opaque_token(token)


def hash_opaque_token(token: str) -> str:
    """Refresh tokens and client secrets are 256-bit random strings, so a plain SHA-256 suffices."""
    return hashlib.sha256(token.encode()).hexdigest()


JwksSource = Callable[[], Awaitable[dict[str, Any]]]


class TokenVerifier:
    """Verifies access tokens against the gateway's published keys, with the algorithm pinned.

    Keys are refetched on an unknown kid (a rotation), at most every `refetch_seconds` so forged
    kids cannot hammer the gateway, and at least every `max_age_seconds` so retired keys drop out.
    """

    def __init__(
        self,
        issuer: str,
        audience: str,
        jwks_source: JwksSource,
        refetch_seconds: float = 30.0,
        max_age_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self._jwks_source = jwks_source
        self._keys: dict[str, Key] = {}
        self._clock = clock
        self._fetched_at = 0.0
        self._refetch_seconds = refetch_seconds
        self._max_age_seconds = max_age_seconds

    async def _key_for(self, kid: str) -> Key:
        age = self._clock() - self._fetched_at
        if self._keys and age >= self._max_age_seconds:
            try:
                await self.refresh()
            except Exception:
                # The gateway is briefly unreachable: keep verifying with the keys we have.
                logger.warning("could not refresh the JWKS; keeping the cached keys", exc_info=True)
        key = self._keys.get(kid)
        if key is not None:
            return key
        if age >= self._refetch_seconds or not self._keys:
            await self.refresh()
        key = self._keys.get(kid)
        if key is None:
            raise InvalidToken("unknown signing key")
        return key

    async def refresh(self) -> None:
        document = await self._jwks_source()
        keys: dict[str, Key] = {}
        for entry in document.get("keys", []):
            if entry.get("alg", ALGORITHM) == ALGORITHM and entry.get("kty") == "EC" and entry.get("kid"):
                keys[entry["kid"]] = jwk.construct(entry, ALGORITHM)
        self._keys = keys
        self._fetched_at = self._clock()

    async def verify(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except JWTError as exc:
            raise InvalidToken("malformed token") from exc
        if header.get("alg") != ALGORITHM:
            raise InvalidToken("token algorithm not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise InvalidToken("token has no key id")
        key = await self._key_for(kid)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={
                    "require_iat": True,
                    "require_exp": True,
                    "require_sub": True,
                    "require_iss": True,
                    "require_aud": True,
                },
            )
        except ExpiredSignatureError as exc:
            raise InvalidToken("token expired") from exc
        except JWTError as exc:
            raise InvalidToken("token not valid") from exc
        return claims
