"""Bank callbacks: verified (HMAC, time window), applied once per callback id."""

import json
import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit import webhooks
from services.kit.errors import BadRequest, Unauthorized
from services.subsidy.models import BankCallback
from services.subsidy.payments import repository as payments
from services.subsidy.payments.service import settle
from services.subsidy.schemas import CallbackAck


async def receive_callback(
    session: AsyncSession,
    secret: str,
    body: bytes,
    webhook_id: str | None,
    timestamp: str | None,
    signature: str | None,
) -> CallbackAck:
    try:
        webhooks.verify(secret, webhook_id, timestamp, signature, body)
    except webhooks.InvalidSignature as exc:
        raise Unauthorized(
            f"Callback not accepted: {exc}.", "银行回调签名无效。", code="invalid_signature"
        ) from exc
    assert webhook_id is not None
    try:
        payload = json.loads(body)
        payment_id = uuid.UUID(str(payload["payment_id"]))
        status = str(payload["status"])
        amount = int(payload["amount_fen"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BadRequest("Callback body is not understood.", "回调内容无法解析。") from exc

    callback = BankCallback(
        webhook_id=webhook_id[:128], payment_id=payment_id, payload=payload, outcome="received"
    )
    try:
        async with session.begin_nested():
            session.add(callback)
            await session.flush()
    except IntegrityError:
        return CallbackAck(accepted=True, duplicate=True)

    payment = await payments.get(session, payment_id, for_update=session.get_bind().dialect.name != "sqlite")
    if payment is None:
        callback.outcome = "unknown_payment"
    elif payment.amount_fen != amount:
        callback.outcome = "amount_mismatch"
    elif status not in ("paid", "failed"):
        callback.outcome = "ignored_status"
    else:
        applied = await settle(
            session,
            payment,
            paid=status == "paid",
            reason=payload.get("reason"),
            bank_reference=payload.get("bank_reference"),
            source="bank-callback",
        )
        callback.outcome = "applied" if applied else "already_final"
    return CallbackAck(accepted=True)
