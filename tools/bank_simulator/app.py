"""The simulated bank: what a partner bank's payment API does, plus a control API for faults."""

import asyncio
import hashlib
import json
import logging
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.kit.webhooks import signed_headers

logger = logging.getLogger("bank_simulator")


@dataclass
class Faults:
    """What goes wrong, and how often (rates are 0..1, drawn from a seeded generator)."""

    fail_rate: float = 0.0
    timeout_after_accept_rate: float = 0.0
    hang_seconds: float = 10.0
    double_callback: bool = False
    callbacks_enabled: bool = True
    callback_delay_seconds: float = 0.05
    closed_accounts: set[str] = field(default_factory=set)
    seed: int = 7


@dataclass
class BankPayment:
    payment_id: str
    instruction_hash: str
    amount_fen: int
    account_number: str
    account_name: str
    bank_reference: str
    status: str = "accepted"
    reason: str | None = None


class Bank:
    """In-memory bank state; one instance per simulator process."""

    def __init__(self, callback_url: str = "", secret: str = "") -> None:
        self.callback_url = callback_url
        self.secret = secret
        self.faults = Faults()
        self.random = random.Random(self.faults.seed)
        self.payments: dict[str, BankPayment] = {}
        self.instructions_received = 0
        self.callbacks_sent = 0
        self.settlements: dict[str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._http = httpx.AsyncClient(timeout=5.0)

    def reset(self, callback_url: str, secret: str, faults: Faults) -> None:
        self.callback_url, self.secret, self.faults = callback_url, secret, faults
        self.random = random.Random(faults.seed)
        self.payments.clear()
        self.settlements.clear()
        self.instructions_received = 0
        self.callbacks_sent = 0

    def settle(self, payment: BankPayment) -> None:
        """Decide the final status once; a closed account fails, everything else is paid."""
        if payment.status != "accepted":
            return
        if payment.account_number in self.faults.closed_accounts:
            payment.status, payment.reason = "failed", "账户已销户 / account closed"
        else:
            payment.status = "paid"
            self.settlements[payment.payment_id] = self.settlements.get(payment.payment_id, 0) + 1

    def schedule_callback(self, payment: BankPayment) -> None:
        task = asyncio.create_task(self._callback(payment))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _callback(self, payment: BankPayment) -> None:
        await asyncio.sleep(self.faults.callback_delay_seconds)
        self.settle(payment)
        if not self.faults.callbacks_enabled or not self.callback_url:
            return
        body = json.dumps(
            {
                "payment_id": payment.payment_id,
                "status": payment.status,
                "amount_fen": payment.amount_fen,
                "bank_reference": payment.bank_reference,
                "reason": payment.reason,
            }
        ).encode()
        webhook_id = f"cb_{uuid.uuid4().hex}"
        deliveries = 2 if self.faults.double_callback else 1
        for _ in range(deliveries):
            await self._deliver(webhook_id, body)

    async def _deliver(self, webhook_id: str, body: bytes) -> None:
        for attempt in range(5):
            headers = {"content-type": "application/json", **signed_headers(self.secret, webhook_id, body)}
            try:
                response = await self._http.post(self.callback_url, content=body, headers=headers)
                if response.status_code < 500:
                    self.callbacks_sent += 1
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2 * 2**attempt)
        logger.warning("callback %s was not delivered", webhook_id)


def create_app(callback_url: str = "", secret: str = "") -> Starlette:
    bank = Bank(callback_url, secret)

    async def submit(request: Request) -> Response:
        try:
            body = await request.json()
            payment_id = str(uuid.UUID(str(body["payment_id"])))
            amount = int(body["amount_fen"])
            account = str(body["account_number"])
            name = str(body["account_name"])
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"reason": "malformed instruction"}, status_code=400)
        bank.instructions_received += 1
        faults = bank.faults
        if bank.random.random() < faults.fail_rate:
            return JSONResponse({"reason": "temporarily unavailable"}, status_code=503)
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        existing = bank.payments.get(payment_id)
        if existing is not None:
            if existing.instruction_hash != digest:
                return JSONResponse({"reason": "payment id reused with different content"}, status_code=409)
            return JSONResponse(_status(existing), status_code=200)
        if amount <= 0 or not account.isdigit():
            return JSONResponse({"reason": "invalid account or amount"}, status_code=422)
        payment = BankPayment(payment_id, digest, amount, account, name, f"BR{uuid.uuid4().hex[:12].upper()}")
        bank.payments[payment_id] = payment
        bank.schedule_callback(payment)
        if bank.random.random() < faults.timeout_after_accept_rate:
            await asyncio.sleep(faults.hang_seconds)
        return JSONResponse(_status(payment), status_code=202)

    async def status(request: Request) -> Response:
        payment = bank.payments.get(request.path_params["payment_id"])
        if payment is None:
            return JSONResponse({"reason": "unknown payment"}, status_code=404)
        return JSONResponse(_status(payment))

    async def control_reset(request: Request) -> Response:
        body: dict[str, Any] = await request.json()
        faults = Faults(
            **{k: v for k, v in body.get("faults", {}).items() if k != "closed_accounts"},
            closed_accounts=set(body.get("faults", {}).get("closed_accounts", [])),
        )
        bank.reset(body.get("callback_url", bank.callback_url), body.get("secret", bank.secret), faults)
        return JSONResponse({"ok": True})

    async def control_stats(_request: Request) -> Response:
        return JSONResponse(
            {
                "instructions_received": bank.instructions_received,
                "payments": len(bank.payments),
                "callbacks_sent": bank.callbacks_sent,
                "paid": sum(1 for p in bank.payments.values() if p.status == "paid"),
                "max_settlements_per_payment": max(bank.settlements.values(), default=0),
                "pending_callbacks": len(bank._tasks),
            }
        )

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/v1/payments", submit, methods=["POST"]),
            Route("/v1/payments/{payment_id}", status, methods=["GET"]),
            Route("/_control/reset", control_reset, methods=["POST"]),
            Route("/_control/stats", control_stats, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
        ]
    )


def _status(payment: BankPayment) -> dict[str, Any]:
    return {
        "payment_id": payment.payment_id,
        "status": payment.status,
        "bank_reference": payment.bank_reference,
        "reason": payment.reason,
        "amount_fen": payment.amount_fen,
    }
