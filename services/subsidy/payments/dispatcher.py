"""Sending queued payments to the bank; safe to crash and resend at any point (bank dedupes by id)."""

import asyncio
import contextlib
import datetime as dt
import logging
import uuid

from services.kit.database import Database, utcnow
from services.registry.contract import RegistryClient
from services.subsidy.payments import repository
from services.subsidy.payments.bank_client import BankClient, BankInstruction, SendResult
from services.subsidy.payments.service import SENDING, SENT, settle

logger = logging.getLogger("fupin.subsidy.dispatcher")


class PaymentDispatcher:
    """Background worker: claim due payments, send each to the bank, record what the bank said."""

    def __init__(
        self,
        database: Database,
        bank: BankClient,
        registry: RegistryClient,
        *,
        interval_seconds: float,
        batch_size: int,
        retry_seconds: float,
    ) -> None:
        self.database = database
        self.bank = bank
        self.registry = registry
        self.interval_seconds = interval_seconds
        self.batch_size = batch_size
        self.retry_seconds = retry_seconds
        self._task: asyncio.Task[None] | None = None

    async def _claim(self) -> list[tuple[uuid.UUID, uuid.UUID, int]]:
        now = utcnow()
        async with self.database.sessionmaker() as session, session.begin():
            due = await repository.claim_due(
                session, now, self.batch_size, skip_locked=not self.database.is_sqlite
            )
            for payment in due:
                payment.status = SENDING
                payment.attempts += 1
                payment.next_attempt_at = now + dt.timedelta(
                    seconds=self.retry_seconds * min(payment.attempts, 12)
                )
            return [(payment.id, payment.household_id, payment.amount_fen) for payment in due]

    async def _send(self, payment_id: uuid.UUID, household_id: uuid.UUID, amount_fen: int) -> SendResult:
        try:
            payee = await self.registry.payee(household_id)
        except Exception:
            logger.warning("payee lookup failed for payment %s; will retry", payment_id)
            return SendResult("retry", reason="registry unavailable")
        if payee is None:
            return SendResult("rejected", reason="该户无一卡通账户 / no payee account")
        return await self.bank.send(
            BankInstruction(
                payment_id=payment_id,
                amount_fen=amount_fen,
                account_name=payee.account_name,
                account_number=payee.account_number,
                bank_name=payee.bank_name,
                memo="扶贫补助",
            )
        )

    async def _record(self, payment_id: uuid.UUID, result: SendResult) -> None:
        async with self.database.sessionmaker() as session, session.begin():
            payment = await repository.get(session, payment_id, for_update=not self.database.is_sqlite)
            if payment is None or payment.status != SENDING:
                return  # a callback got here first, or it is final
            if result.outcome == "accepted":
                payment.status = SENT
                payment.bank_reference = result.bank_reference
                payment.sent_at = utcnow()
            elif result.outcome == "rejected":
                await settle(
                    session, payment, paid=False, reason=result.reason, bank_reference=None, source="bank"
                )

    async def dispatch_once(self) -> int:
        claimed = await self._claim()
        results = await asyncio.gather(*(self._send(*item) for item in claimed))
        for (payment_id, _, _), result in zip(claimed, results, strict=True):
            await self._record(payment_id, result)
        return len(claimed)

    async def _loop(self) -> None:
        while True:
            try:
                sent = await self.dispatch_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("dispatching payments failed; will retry")
                sent = 0
            if sent < self.batch_size:
                await asyncio.sleep(self.interval_seconds)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="payment-dispatcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
