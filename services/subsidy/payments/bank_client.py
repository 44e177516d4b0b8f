"""The partner bank's payment API as we call it: batches with control totals, status queries.

Our payment id is the bank's idempotency key for each instruction and the batch id for each batch:
sending the same batch again (after a timeout, a crash) never pays anyone twice.
"""

import uuid
from dataclasses import dataclass, field

import httpx
from pydantic import BaseModel


class BankInstruction(BaseModel):
    payment_id: uuid.UUID
    amount_fen: int
    account_name: str
    account_number: str
    bank_name: str
    memo: str


class BankBatch(BaseModel):
    """A disbursement envelope: its items and the control totals the bank checks them against."""

    batch_id: uuid.UUID
    item_count: int
    total_fen: int
    items: list[BankInstruction]


class BankItemStatus(BaseModel):
    """What the bank says of one payment: accepted (in progress), rejected, paid or failed."""

    payment_id: uuid.UUID
    status: str
    bank_reference: str | None = None
    reason: str | None = None
    amount_fen: int | None = None


class BankStatuses(BaseModel):
    results: list[BankItemStatus]


@dataclass(frozen=True)
class BatchSendResult:
    """accepted: the bank has the batch (items say how each went); rejected: never will; retry: unknown."""

    outcome: str
    items: list[BankItemStatus] = field(default_factory=list)
    reason: str | None = None


class BankClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def send_batch(self, batch: BankBatch) -> BatchSendResult:
        try:
            response = await self._http.post(
                "/v1/batches", content=batch.model_dump_json(), headers={"content-type": "application/json"}
            )
        except httpx.HTTPError:
            return BatchSendResult("retry", reason="bank unreachable or timed out")
        if response.status_code in (200, 201, 202):
            return BatchSendResult("accepted", BankStatuses.model_validate_json(response.content).results)
        if response.status_code in (400, 409, 422):
            return BatchSendResult("rejected", reason=_reason(response))
        return BatchSendResult("retry", reason=f"bank answered {response.status_code}")

    async def statuses(self, payment_ids: list[uuid.UUID]) -> list[BankItemStatus] | None:
        """The bank's current status of these payments (None when the bank could not be asked)."""
        try:
            response = await self._http.post(
                "/v1/payments/status", json={"payment_ids": [str(payment_id) for payment_id in payment_ids]}
            )
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        return BankStatuses.model_validate_json(response.content).results

    async def statement(self, file_format: str) -> bytes | None:
        """The bank's statement of booked transfers, as CSV or camt.053 (None when unavailable)."""
        try:
            response = await self._http.get("/v1/statements", params={"format": file_format}, timeout=60.0)
        except httpx.HTTPError:
            return None
        return response.content if response.status_code == 200 else None


def _reason(response: httpx.Response) -> str:
    try:
        return str(response.json().get("reason", response.status_code))[:200]
    except ValueError:
        return f"bank answered {response.status_code}"
