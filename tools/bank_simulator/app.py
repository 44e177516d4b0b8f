"""The simulated bank: batches with control totals, signed callbacks, status queries, statements, faults.

Idempotency is the bank's: a batch id sent again with the same content gets the same answer, and a
payment id is settled at most once whatever batch carries it (`settlements` counts, so tests can
prove nobody was paid twice). Faults are drawn from a seeded generator.
"""

import asyncio
import datetime as dt
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
from tools.bank_simulator.statements import camt053, csv_statement

logger = logging.getLogger("bank_simulator")
CALLBACK_CHUNK = 1000


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
    name_mismatch_accounts: set[str] = field(default_factory=set)
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
    booked_on: dt.date | None = None


class Bank:
    """In-memory bank state; one instance per simulator process."""

    def __init__(self, callback_url: str = "", secret: str = "") -> None:
        self.callback_url = callback_url
        self.secret = secret
        self.faults = Faults()
        self.random = random.Random(self.faults.seed)
        self.payments: dict[str, BankPayment] = {}
        self.batches: dict[str, tuple[str, list[str]]] = {}
        self.settlements: dict[str, int] = {}
        self.instructions_received = 0
        self.batches_received = 0
        self.callbacks_sent = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._http = httpx.AsyncClient(timeout=30.0)

    def reset(self, callback_url: str, secret: str, faults: Faults) -> None:
        self.callback_url, self.secret, self.faults = callback_url, secret, faults
        self.random = random.Random(faults.seed)
        self.payments.clear()
        self.batches.clear()
        self.settlements.clear()
        self.instructions_received = 0
        self.batches_received = 0
        self.callbacks_sent = 0

    def settle(self, payment: BankPayment) -> None:
        """Decide the final status once; closed accounts and wrong names fail, the rest is paid."""
        if payment.status != "accepted":
            return
        if payment.account_number in self.faults.closed_accounts:
            payment.status, payment.reason = "failed", "账户已销户 / account closed"
        elif payment.account_number in self.faults.name_mismatch_accounts:
            payment.status, payment.reason = "failed", "户名与账号不符 / name does not match the account"
        else:
            payment.status = "paid"
            payment.booked_on = dt.date.today()
            self.settlements[payment.payment_id] = self.settlements.get(payment.payment_id, 0) + 1

    def accept(self, item: dict[str, Any]) -> dict[str, Any]:
        """One instruction of a batch: new, a repeat of one we have, or refused."""
        self.instructions_received += 1
        try:
            payment_id = str(uuid.UUID(str(item["payment_id"])))
            amount = int(item["amount_fen"])
            account = str(item["account_number"])
            name = str(item["account_name"])
        except (ValueError, KeyError, TypeError):
            return {
                "payment_id": str(item.get("payment_id")),
                "status": "rejected",
                "reason": "malformed instruction",
            }
        digest = hashlib.sha256(json.dumps(item, sort_keys=True).encode()).hexdigest()
        existing = self.payments.get(payment_id)
        if existing is not None:
            if existing.instruction_hash != digest:
                return {
                    "payment_id": payment_id,
                    "status": "rejected",
                    "reason": "payment id reused with different content",
                }
            return status_of(existing)
        if amount <= 0 or not account.isdigit() or not name:
            return {
                "payment_id": payment_id,
                "status": "rejected",
                "reason": "invalid account, name or amount",
            }
        payment = BankPayment(payment_id, digest, amount, account, name, f"BR{uuid.uuid4().hex[:12].upper()}")
        self.payments[payment_id] = payment
        return status_of(payment)

    def schedule_callbacks(self, payments: list[BankPayment]) -> None:
        task = asyncio.create_task(self._callbacks(payments))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _callbacks(self, payments: list[BankPayment]) -> None:
        await asyncio.sleep(self.faults.callback_delay_seconds)
        for payment in payments:
            self.settle(payment)
        if not self.faults.callbacks_enabled or not self.callback_url:
            return
        deliveries = 2 if self.faults.double_callback else 1
        for start in range(0, len(payments), CALLBACK_CHUNK):
            body = json.dumps(
                {"results": [status_of(p) for p in payments[start : start + CALLBACK_CHUNK]]}
            ).encode()
            for _ in range(deliveries):
                # A second delivery carries a new webhook id: the service must see the payments are final.
                await self._deliver(f"cb_{uuid.uuid4().hex}", body)

    async def _deliver(self, webhook_id: str, body: bytes) -> None:
        for attempt in range(6):
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


def status_of(payment: BankPayment) -> dict[str, Any]:
    return {
        "payment_id": payment.payment_id,
        "status": payment.status,
        "bank_reference": payment.bank_reference,
        "reason": payment.reason,
        "amount_fen": payment.amount_fen,
    }


def create_app(callback_url: str = "", secret: str = "") -> Starlette:
    bank = Bank(callback_url, secret)

    async def submit_batch(request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw)
            batch_id = str(uuid.UUID(str(body["batch_id"])))
            count, total, items = int(body["item_count"]), int(body["total_fen"]), list(body["items"])
            amounts = [int(item["amount_fen"]) for item in items]
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"reason": "malformed batch"}, status_code=400)
        bank.batches_received += 1
        faults = bank.faults
        if bank.random.random() < faults.fail_rate:
            return JSONResponse({"reason": "temporarily unavailable"}, status_code=503)
        if count != len(items) or total != sum(amounts):
            return JSONResponse({"reason": "control totals do not match the items"}, status_code=422)
        digest = hashlib.sha256(raw).hexdigest()
        known = bank.batches.get(batch_id)
        if known is not None:
            if known[0] != digest:
                return JSONResponse({"reason": "batch id reused with different content"}, status_code=409)
            results = [
                status_of(bank.payments[pid])
                if pid in bank.payments
                else {"payment_id": pid, "status": "rejected"}
                for pid in known[1]
            ]
            return JSONResponse({"batch_id": batch_id, "results": results}, status_code=200)
        before = set(bank.payments)
        results = [bank.accept(item) for item in items]
        bank.batches[batch_id] = (digest, [str(result["payment_id"]) for result in results])
        fresh = [
            bank.payments[r["payment_id"]]
            for r in results
            if r["payment_id"] not in before and r["payment_id"] in bank.payments
        ]
        if fresh:
            bank.schedule_callbacks(fresh)
        if bank.random.random() < faults.timeout_after_accept_rate:
            await asyncio.sleep(faults.hang_seconds)
        return JSONResponse({"batch_id": batch_id, "results": results}, status_code=202)

    async def statuses(request: Request) -> Response:
        try:
            ids = [str(uuid.UUID(str(value))) for value in (await request.json())["payment_ids"]]
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"reason": "malformed query"}, status_code=400)
        return JSONResponse(
            {"results": [status_of(bank.payments[pid]) for pid in ids if pid in bank.payments]}
        )

    async def statement(request: Request) -> Response:
        booked = sorted(
            (p for p in bank.payments.values() if p.status == "paid"),
            key=lambda p: (p.booked_on, p.payment_id),
        )
        if request.query_params.get("format", "csv") == "camt053":
            return Response(camt053(booked), media_type="application/xml")
        return Response(csv_statement(booked), media_type="text/csv")

    async def control_reset(request: Request) -> Response:
        body: dict[str, Any] = await request.json()
        given = dict(body.get("faults", {}))
        faults = Faults(
            **{k: v for k, v in given.items() if k not in ("closed_accounts", "name_mismatch_accounts")},
            closed_accounts=set(given.get("closed_accounts", [])),
            name_mismatch_accounts=set(given.get("name_mismatch_accounts", [])),
        )
        bank.reset(body.get("callback_url", bank.callback_url), body.get("secret", bank.secret), faults)
        return JSONResponse({"ok": True})

    async def control_faults(request: Request) -> Response:
        """Change faults without forgetting payments (e.g. an account reopened)."""
        given = dict(await request.json())
        for name in ("closed_accounts", "name_mismatch_accounts"):
            if name in given:
                setattr(bank.faults, name, set(given.pop(name)))
        for name, value in given.items():
            setattr(bank.faults, name, value)
        return JSONResponse({"ok": True})

    async def control_stats(_request: Request) -> Response:
        return JSONResponse(
            {
                "instructions_received": bank.instructions_received,
                "batches_received": bank.batches_received,
                "payments": len(bank.payments),
                "callbacks_sent": bank.callbacks_sent,
                "paid": sum(1 for p in bank.payments.values() if p.status == "paid"),
                "failed": sum(1 for p in bank.payments.values() if p.status == "failed"),
                "max_settlements_per_payment": max(bank.settlements.values(), default=0),
                "pending_callbacks": len(bank._tasks),
            }
        )

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/v1/batches", submit_batch, methods=["POST"]),
            Route("/v1/payments/status", statuses, methods=["POST"]),
            Route("/v1/statements", statement, methods=["GET"]),
            Route("/_control/reset", control_reset, methods=["POST"]),
            Route("/_control/faults", control_faults, methods=["POST"]),
            Route("/_control/stats", control_stats, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
        ]
    )
