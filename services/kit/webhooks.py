"""Standard Webhooks signatures: HMAC-SHA256 over `id.timestamp.body`, with a replay window."""

import base64
import hashlib
import hmac
import re
import time

TOLERANCE_SECONDS = 5 * 60
TIMESTAMP = re.compile(r"[0-9]{1,12}")


class InvalidSignature(Exception):
    """The webhook is unsigned, wrongly signed, or outside the time window."""


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    message = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secret: str, webhook_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": sign(secret, webhook_id, ts, body),
    }


def verify(
    secret: str,
    webhook_id: str | None,
    timestamp: str | None,
    signature_header: str | None,
    body: bytes,
    now: float | None = None,
) -> None:
    """Raise InvalidSignature unless one of the header's signatures matches and the time is fresh."""
    if not secret:
        raise InvalidSignature("no webhook secret is configured")
    if not webhook_id or not timestamp or not signature_header:
        raise InvalidSignature("missing webhook headers")
    # ASCII digits, bounded: str.isdigit() takes "²", and int() refuses thousands of digits.
    if TIMESTAMP.fullmatch(timestamp) is None:
        raise InvalidSignature("bad timestamp")
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > TOLERANCE_SECONDS:
        raise InvalidSignature("timestamp outside the tolerance window")
    expected = sign(secret, webhook_id, int(timestamp), body).encode()
    for candidate in signature_header.split():
        # As bytes: compare_digest refuses non-ASCII str.
        if hmac.compare_digest(candidate.encode(), expected):
            return
    raise InvalidSignature("signature does not match")
