"""Sending payments to the bank in batches; safe to crash and resend at any point.

Each cycle: resend batches the bank has not acknowledged (same id, same content, so the bank pays
nobody twice), build one new batch from queued payments (payee snapshot from the registry, control
totals), send it, and ask the bank about payments whose callback is overdue (polling fallback).
"""

import asyncio
import contextlib
import datetime as dt
import logging
import time
import uuid

from services.kit.database import Database, utcnow
from services.registry.contract import Payee as RegistryPayee
from services.registry.contract import RegistryClient
from services.subsidy.models import Payee, Payment, PaymentBatch
from services.subsidy.payments import repository
from services.subsidy.payments.bank_client import BankBatch, BankClient, BankInstruction, BatchSendResult
from services.subsidy.payments.service import (
    FAILED,
    FINAL,
    PAID,
    SENDING,
    BankResult,
    end_to_end_id,
    payee_fingerprint,
    settle_many,
)

logger = logging.getLogger("fupin.subsidy.dispatcher")
LOOKUP_FAILED = object()
NO_ACCOUNT = "该户无一卡通账户 / no payee account"


class PaymentDispatcher:
    """Background worker: batches queued payments to the bank and keeps their status current."""

    def __init__(
        self,
        database: Database,
        bank: BankClient,
        registry: RegistryClient,
        *,
        interval_seconds: float,
        batch_size: int,
        retry_seconds: float,
        poll_after_seconds: float,
        lookup_concurrency: int = 16,
        parallel: int = 4,
    ) -> None:
        self.database = database
        self.bank = bank
        self.registry = registry
        self.interval_seconds = interval_seconds
        self.batch_size = batch_size
        self.retry_seconds = retry_seconds
        self.poll_after_seconds = poll_after_seconds
        self.lookup_concurrency = lookup_concurrency
        self.parallel = parallel
        self._last_poll = 0.0
        self._task: asyncio.Task[None] | None = None

    def _retry_at(self, now: dt.datetime, attempts: int) -> dt.datetime:
        return now + dt.timedelta(seconds=self.retry_seconds * min(max(attempts, 1), 12))

    async def _lookup(self, household_ids: set[uuid.UUID]) -> dict[uuid.UUID, object]:
        """Payees from the registry, a few at a time; a failed lookup is retried with the payment later."""
        gate = asyncio.Semaphore(self.lookup_concurrency)

        async def one(household_id: uuid.UUID) -> tuple[uuid.UUID, object]:
            async with gate:
                try:
                    return household_id, await self.registry.payee(household_id)
                except Exception:
                    logger.warning("payee lookup failed for household %s; will retry", household_id)
                    return household_id, LOOKUP_FAILED

        return dict(await asyncio.gather(*(one(household_id) for household_id in household_ids)))

    async def prepare_batch(self) -> uuid.UUID | None:
        """Claim queued payments, snapshot their payees and seal them in a batch with control totals."""
        now = utcnow()
        async with self.database.sessionmaker() as session, session.begin():
            due = await repository.claim_queued(
                session, now, self.batch_size, skip_locked=not self.database.is_sqlite
            )
            if not due:
                return None
            needed = {payment.household_id for payment in due if payment.payee_account is None}
            cached = await repository.cached_payees(session, needed)
            fetched = await self._lookup(needed - cached.keys())
            for household_id, payee in fetched.items():
                if isinstance(payee, RegistryPayee):
                    session.add(
                        Payee(
                            household_id=household_id,
                            account_name=payee.account_name,
                            bank_name=payee.bank_name,
                            account_number=payee.account_number,
                        )
                    )
            batch = PaymentBatch(
                id=uuid.uuid4(),
                item_count=0,
                total_fen=0,
                status="sending",
                attempts=1,
                next_attempt_at=self._retry_at(now, 1),
                sent_at=now,
            )
            session.add(batch)
            await session.flush()
            no_account: list[Payment] = []
            for payment in due:
                if payment.payee_account is None:
                    payee = self._payee_of(payment.household_id, cached, fetched)
                    if payee is LOOKUP_FAILED:
                        payment.next_attempt_at = self._retry_at(now, payment.attempts + 1)
                        payment.attempts += 1
                        continue
                    if not isinstance(payee, RegistryPayee):
                        payment.status = SENDING
                        no_account.append(payment)
                        continue
                    payment.payee_name = payee.account_name
                    payment.payee_bank = payee.bank_name
                    payment.payee_account = payee.account_number
                    payment.payee_fingerprint = payee_fingerprint(payee)
                payment.status = SENDING
                payment.batch_id = batch.id
                payment.attempts += 1
                batch.item_count += 1
                batch.total_fen += payment.amount_fen
            await session.flush()
            if no_account:
                await settle_many(
                    session,
                    [BankResult(payment.id, FAILED, reason=NO_ACCOUNT) for payment in no_account],
                    source="dispatcher",
                    reference="no payee account",
                )
            if batch.item_count == 0:
                await session.delete(batch)
                return None
            return batch.id

    @staticmethod
    def _payee_of(
        household_id: uuid.UUID, cached: dict[uuid.UUID, Payee], fetched: dict[uuid.UUID, object]
    ) -> object:
        if household_id in cached:
            row = cached[household_id]
            return RegistryPayee(
                household_id=household_id,
                account_name=row.account_name,
                bank_name=row.bank_name,
                account_number=row.account_number,
            )
        return fetched.get(household_id)

    async def claim_due_batches(self) -> list[uuid.UUID]:
        """Batches whose acknowledgement is overdue, marked for one more attempt by this dispatcher."""
        now = utcnow()
        async with self.database.sessionmaker() as session, session.begin():
            batches = await repository.due_batches(
                session, now, self.parallel, skip_locked=not self.database.is_sqlite
            )
            for batch in batches:
                batch.attempts += 1
                batch.next_attempt_at = self._retry_at(now, batch.attempts)
                batch.sent_at = now
            return [batch.id for batch in batches]

    async def send(self, batch_id: uuid.UUID) -> None:
        """Send a batch (again) exactly as it was sealed, and record what the bank answered."""
        async with self.database.sessionmaker() as session:
            batch = await repository.get_batch(session, batch_id)
            items = await repository.batch_items(session, batch_id)
        if batch is None or batch.status != "sending":
            return
        envelope = BankBatch(
            batch_id=batch.id,
            item_count=batch.item_count,
            total_fen=batch.total_fen,
            items=[
                BankInstruction(
                    payment_id=payment.id,
                    amount_fen=payment.amount_fen,
                    account_name=payment.payee_name or "",
                    account_number=payment.payee_account or "",
                    bank_name=payment.payee_bank or "",
                    memo=f"扶贫补助 {end_to_end_id(payment.id)}",
                )
                for payment in items
            ],
        )
        result = await self.bank.send_batch(envelope)
        await self._record(batch_id, result)

    async def _record(self, batch_id: uuid.UUID, result: BatchSendResult) -> None:
        now = utcnow()
        async with self.database.sessionmaker() as session, session.begin():
            batch = await repository.get_batch(session, batch_id, for_update=not self.database.is_sqlite)
            if batch is None or batch.status != "sending":
                return
            if result.outcome == "retry":
                batch.last_error = result.reason
                return
            if result.outcome == "rejected":
                # The whole envelope was refused (control totals, format): its payments go into a new one.
                batch.status = "rejected"
                batch.last_error = result.reason
                await repository.requeue_batch(session, batch_id, self._retry_at(now, batch.attempts))
                logger.error("bank rejected batch %s: %s", batch_id, result.reason)
                return
            batch.status = "accepted"
            batch.accepted_at = now
            pending = {
                p.id: p
                for p in await repository.unsettled(
                    session, [i.payment_id for i in result.items], for_update=False
                )
            }
            accepted = [
                item.payment_id
                for item in result.items
                if item.status == "accepted"
                and item.payment_id in pending
                and pending[item.payment_id].status == SENDING
            ]
            await repository.mark_sent(
                session, accepted, {item.payment_id: item.bank_reference for item in result.items}, now
            )
            final = [
                BankResult(
                    item.payment_id,
                    PAID if item.status == PAID else FAILED,
                    item.amount_fen,
                    item.bank_reference,
                    item.reason,
                )
                for item in result.items
                if item.status in FINAL or item.status == "rejected"
            ]
            if final:
                await settle_many(session, final, source="bank", reference=f"batch {batch_id}")

    async def poll_once(self, *, force: bool = False) -> int:
        """Ask the bank about payments whose callback has not come (the fallback when callbacks stop)."""
        if not force and time.monotonic() - self._last_poll < max(
            self.poll_after_seconds / 2, self.interval_seconds
        ):
            return 0
        self._last_poll = time.monotonic()
        before = utcnow() - dt.timedelta(seconds=0 if force else self.poll_after_seconds)
        async with self.database.sessionmaker() as session:
            ids = list(await repository.waiting_for_bank(session, before, self.batch_size))
        if not ids:
            return 0
        statuses = await self.bank.statuses(ids)
        if statuses is None:
            return 0
        final = [
            BankResult(item.payment_id, item.status, item.amount_fen, item.bank_reference, item.reason)
            for item in statuses
            if item.status in FINAL
        ]
        if not final:
            return 0
        async with self.database.sessionmaker() as session, session.begin():
            settled = await settle_many(session, final, source="bank-poll", reference="status poll")
        return settled.applied

    async def dispatch_once(self) -> int:
        """One cycle; returns how much work it found (0: idle).

        Up to `parallel` batches are in flight at once, so a bank that hangs on one (a timeout)
        does not hold up the others.
        """
        batch_ids = await self.claim_due_batches()
        while len(batch_ids) < self.parallel:
            batch_id = await self.prepare_batch()
            if batch_id is None:
                break
            batch_ids.append(batch_id)
        await asyncio.gather(*(self.send(batch_id) for batch_id in batch_ids))
        return len(batch_ids) + await self.poll_once()

    async def _loop(self) -> None:
        while True:
            try:
                work = await self.dispatch_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("dispatching payments failed; will retry")
                work = 0
            if work == 0:
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
