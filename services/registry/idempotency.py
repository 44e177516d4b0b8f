"""Create requests carry an Idempotency-Key: a retry gets the first answer, another body under it a 409."""

import hashlib
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Header
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.auth import Principal
from services.kit.errors import BadRequest, Conflict
from services.registry.models import IdempotencyRecord

T = TypeVar("T", bound=BaseModel)

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="8–128 characters chosen by the client; resending the same request with it is harmless",
    ),
]


def _digest(operation: str, body: BaseModel) -> str:
    return hashlib.sha256(f"{operation}\n{body.model_dump_json()}".encode()).hexdigest()


async def run_once(
    session: AsyncSession,
    *,
    principal: Principal,
    key: str | None,
    operation: str,
    body: BaseModel,
    result_type: type[T],
    create: Callable[[], Awaitable[T]],
) -> tuple[T, bool]:
    """(result, created): `create` runs once per key and caller; later calls replay its stored result."""
    if key is None or not 8 <= len(key) <= 128:
        raise BadRequest(
            "An Idempotency-Key header (8–128 characters) is required.",
            "请提供 Idempotency-Key 请求头(8–128 个字符)。",
            code="idempotency_key_required",
        )
    digest = _digest(operation, body)
    record = IdempotencyRecord(actor=principal.subject, key=key, operation=operation, request_hash=digest)
    try:
        # Claim the key first: a concurrent retry waits on it, then replays what we store.
        async with session.begin_nested():
            session.add(record)
            await session.flush()
    except IntegrityError:
        stored = await session.get(IdempotencyRecord, (principal.subject, key), populate_existing=True)
        if stored is None:
            raise
        if stored.request_hash != digest or stored.response is None:
            raise Conflict(
                "This Idempotency-Key was already used for a different request.",
                "该幂等键已用于另一个请求。",
                code="idempotency_key_reused",
            ) from None
        return result_type.model_validate(stored.response), False
    result = await create()
    record.response = result.model_dump(mode="json")
    return result, True
