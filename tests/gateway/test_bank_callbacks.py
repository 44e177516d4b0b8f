"""Bank callbacks via the gateway: HMAC over id, timestamp and raw body; 5-minute window; once per id."""

import json
import time
import uuid

from services.kit import webhooks
from tests.gateway.conftest import Gateway

PATH = "/api/v1/bank/callbacks"


def callback(payment_id: str) -> bytes:
    return json.dumps({"payment_id": payment_id, "status": "paid", "amount_fen": 100}).encode()


async def post(gateway: Gateway, body: bytes, headers: dict[str, str]):
    return await gateway.http.post(
        PATH, content=body, headers={**headers, "content-type": "application/json"}
    )


async def test_unsigned_wrongly_signed_and_stale_callbacks_are_refused(gateway: Gateway) -> None:
    secret = gateway.system.secrets.bank_webhook_secret
    body = callback(str(uuid.uuid4()))
    assert (await post(gateway, body, {})).status_code == 401
    forged = webhooks.signed_headers("not-the-secret", "cb-1", body)
    assert (await post(gateway, body, forged)).status_code == 401
    # A minute outside the window: int() drops up to a second, so int(time.time()) + 301 could be
    # less than 300 s ahead by the time the gateway checks it.
    outside = webhooks.TOLERANCE_SECONDS + 60
    stale = webhooks.signed_headers(secret, "cb-2", body, timestamp=int(time.time()) - outside)
    assert (await post(gateway, body, stale)).status_code == 401
    future = webhooks.signed_headers(secret, "cb-3", body, timestamp=int(time.time()) + outside)
    assert (await post(gateway, body, future)).status_code == 401
    signed = webhooks.signed_headers(secret, "cb-4", body)
    altered = body.replace(b'"paid"', b'"failed"')
    assert (await post(gateway, altered, signed)).status_code == 401  # the signature covers the raw body
    assert (await post(gateway, body, signed)).status_code == 200


async def test_each_callback_id_is_accepted_once(gateway: Gateway) -> None:
    secret = gateway.system.secrets.bank_webhook_secret
    body = callback(str(uuid.uuid4()))
    headers = webhooks.signed_headers(secret, "cb-once", body)
    first = await post(gateway, body, headers)
    again = await post(gateway, body, headers)
    assert first.status_code == again.status_code == 200
    assert first.json().get("duplicate") is not True
    assert again.json()["duplicate"] is True
