"""Hand-made JSON Web Tokens, as an attacker builds them (no JWT library: python-jose stays in the kit)."""

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(value: dict[str, Any]) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


def claims(subject: str = "00000000-0000-0000-0000-000000000001", **overrides: Any) -> dict[str, Any]:
    """Claims the gateway would issue for an admin, valid for 15 minutes, unless overridden."""
    now = int(time.time())
    base: dict[str, Any] = {
        "sub": subject,
        "iss": "fupin-gateway",
        "aud": "fupin",
        "iat": now,
        "exp": now + 900,
        "typ": "user",
        "name": "mallory",
        "roles": ["admin"],
        "regions": [],
    }
    base.update(overrides)
    return {name: value for name, value in base.items() if value is not None}


def sign_es256(private_pem: str, header: dict[str, Any], payload: dict[str, Any]) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    signing_input = f"{segment(header)}.{segment(payload)}"
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return f"{signing_input}.{b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def sign_hs256(secret: bytes, header: dict[str, Any], payload: dict[str, Any]) -> str:
    signing_input = f"{segment(header)}.{segment(payload)}"
    return f"{signing_input}.{b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"


def public_pem(private_pem: str) -> bytes:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def unsigned(payload: dict[str, Any]) -> str:
    return f"{segment({'alg': 'none', 'typ': 'JWT'})}.{segment(payload)}."


def header(token: str) -> dict[str, Any]:
    first = token.split(".", maxsplit=1)[0]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)))
    return decoded


def tamper(token: str, **changes: Any) -> str:
    """Change claims of a real token and keep its signature."""
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data.update(changes)
    return f"{header}.{segment(data)}.{signature}"
