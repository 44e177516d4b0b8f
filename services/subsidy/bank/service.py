"""Bank callbacks: verified (HMAC, time window), applied once per callback id, one payment or a batch."""

import json
import math
import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit import webhooks
from services.kit.errors import BadRequest, Unauthorized
from services.subsidy.models import BankCallback
from services.subsidy.payments.service import BankResult, settle_many
from services.subsidy.schemas import MAX_FEN, CallbackAck

MAX_RESULTS = 5000


def _text(item: dict[str, Any], name: str, size: int) -> str | None:
    """An optional string field that fits its column."""
    value = item.get(name)
    if value is not None and (not isinstance(value, str) or len(value) > size):
        raise TypeError(f"{name} must be a string of at most {size} characters")
    return value


def _result(item: dict[str, Any]) -> BankResult:
    amount = item.get("amount_fen")
    # Exactly an int: int() would truncate 10000.9 and settle a 10000-fen payment.
    if amount is not None and (type(amount) is not int or not 0 < amount <= MAX_FEN):
        raise ValueError("amount_fen must be a whole number of fen")
    return BankResult(
        payment_id=uuid.UUID(str(item["payment_id"])),
        status=str(item["status"]),
        amount_fen=amount,
        bank_reference=_text(item, "bank_reference", 64),
        reason=_text(item, "reason", 200),
    )


def _storable(payload: Any) -> None:
    """Refuse what the JSONB column cannot hold: NUL in any string, infinite numbers (1e400)."""
    pending = [payload]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif (isinstance(value, str) and "\x00" in value) or (
            isinstance(value, float) and not math.isfinite(value)
        ):
            raise ValueError("the callback holds a NUL character or an infinite number")


def _parse(body: bytes) -> tuple[dict[str, Any], list[BankResult]]:
    """A callback names one payment ({"payment_id", ...}) or a batch's results ({"results": [...]})."""
    try:
        payload = json.loads(body)
        if not isinstance(payload, dict):
            raise TypeError("not an object")
        _storable(payload)
        items = payload.get("results", [payload])
        if not isinstance(items, list) or len(items) > MAX_RESULTS:
            raise TypeError("results must be a list")
        for item in items:
            if "amount_fen" not in item:
                raise KeyError("amount_fen")
        return payload, [_result(item) for item in items]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadRequest("Callback body is not understood.", "回调内容无法解析。") from exc


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
    payload, results = _parse(body)
    callback = BankCallback(
        webhook_id=webhook_id[:128],
        payment_id=results[0].payment_id if len(results) == 1 else None,
        payload=payload,
        outcome="received",
    )
    try:
        async with session.begin_nested():
            session.add(callback)
            await session.flush()
    except IntegrityError:
        return CallbackAck(accepted=True, duplicate=True)
    settled = await settle_many(session, results, source="bank-callback", reference=webhook_id)
    if settled.amount_mismatch:
        callback.outcome = "amount_mismatch"
    elif settled.applied:
        callback.outcome = "applied"
    else:
        callback.outcome = "already_final_or_unknown"
    return CallbackAck(accepted=True, applied=settled.applied)
