"""The partner bank's payment API, as we call it (our payment id is the bank's idempotency key)."""

import uuid
from dataclasses import dataclass

import httpx
from pydantic import BaseModel


class BankInstruction(BaseModel):
    payment_id: uuid.UUID
    amount_fen: int
    account_name: str
    account_number: str
    bank_name: str
    memo: str


class BankStatus(BaseModel):
    payment_id: uuid.UUID
    status: str
    bank_reference: str | None = None
    reason: str | None = None
    amount_fen: int | None = None


@dataclass(frozen=True)
class SendResult:
    """accepted: the bank has it; rejected: it never will (reason); retry: unknown, send again later."""

    outcome: str
    bank_reference: str | None = None
    reason: str | None = None


class BankClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def send(self, instruction: BankInstruction) -> SendResult:
        try:
            response = await self._http.post(
                "/v1/payments",
                content=instruction.model_dump_json(),
                headers={"content-type": "application/json"},
            )
        except httpx.HTTPError:
            return SendResult("retry", reason="bank unreachable or timed out")
        if response.status_code in (200, 201, 202):
            return SendResult("accepted", bank_reference=response.json().get("bank_reference"))
        if response.status_code in (400, 409, 422):
            return SendResult(
                "rejected", reason=str(response.json().get("reason", response.status_code))[:200]
            )
        return SendResult("retry", reason=f"bank answered {response.status_code}")

    async def status(self, payment_id: uuid.UUID) -> BankStatus | None:
        response = await self._http.get(f"/v1/payments/{payment_id}")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return BankStatus.model_validate_json(response.content)
