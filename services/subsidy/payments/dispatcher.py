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
from services.subsidy.models import Payee, PaymentBatch
from services.subsidy.payments import repository
from services.subsidy.payments.bank_client import BankBatch, BankClient, BankInstruction, BatchSendResult
from services.subsidy.payments.service import (
    FAILED,
    FINAL,
    PAID,
    BankResult,
    end_to_end_id,
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
        self._sending: set[uuid.UUID] = set()
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
            claimed = await repository.claim_for_batch(
                session, now, self.batch_size, skip_locked=not self.database.is_sqlite
            )
            if not claimed:
                return None
            needed = {household for _, household, has_payee in claimed if not has_payee}
            cached = await repository.cached_payees(session, needed)
            fetched = await self._lookup(needed - cached)
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
            await session.flush()
            ids = [payment_id for payment_id, _, _ in claimed]
            lookup_failed = [p for p, household, _ in claimed if fetched.get(household) is LOOKUP_FAILED]
            no_account = [
                p
                for p, household, has in claimed
                if not has and household not in cached and household in fetched and fetched[household] is None
            ]
            await repository.snapshot_payees(session, ids)
            await repository.defer(session, lookup_failed, self._retry_at(now, 2))
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
            skipped = set(lookup_failed) | set(no_account)
            batch.item_count, batch.total_fen = await repository.seal_into_batch(
                session, batch.id, [p for p in ids if p not in skipped]
            )
            if no_account:
                await repository.mark_sending(session, no_account)
                await settle_many(
                    session,
                    [BankResult(payment_id, FAILED, reason=NO_ACCOUNT) for payment_id in no_account],
                    source="dispatcher",
                    reference="no payee account",
                )
            if batch.item_count == 0:
                await session.delete(batch)
                return None
            return batch.id

    async def claim_due_batches(self, limit: int) -> list[uuid.UUID]:
        """Batches whose acknowledgement is overdue, marked for one more attempt by this dispatcher."""
        now = utcnow()
        async with self.database.sessionmaker() as session, session.begin():
            batches = await repository.due_batches(
                session, now, limit, skip_locked=not self.database.is_sqlite, exclude=self._sending
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
            items = await repository.items_of_batch(session, batch_id)
        if batch is None or batch.status != "sending":
            return
        envelope = BankBatch(
            batch_id=batch.id,
            item_count=batch.item_count,
            total_fen=batch.total_fen,
            items=[
                BankInstruction(
                    payment_id=item.id,
                    amount_fen=item.amount_fen,
                    account_name=item.payee_name or "",
                    account_number=item.payee_account or "",
                    bank_name=item.payee_bank or "",
                    memo=f"扶贫补助 {end_to_end_id(item.id)}",
                )
                for item in items
            ],
        )
        self._sending.add(batch_id)
        try:
            result = await self.bank.send_batch(envelope)
            await self._record(batch_id, result)
        finally:
            self._sending.discard(batch_id)

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
            accepted = [item.payment_id for item in result.items if item.status == "accepted"]
            # Lock in id order, as settle_many does, so a callback for this batch cannot deadlock with us.
            await repository.unsettled_rows(session, sorted(accepted), for_update=not self.database.is_sqlite)
            await repository.mark_sent(session, batch_id, accepted, now)
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

    async def _fill(self, in_flight: set[asyncio.Task[None]]) -> int:
        """Start sends until `parallel` batches are in flight: overdue batches first, then new ones."""
        started = 0
        for overdue in await self.claim_due_batches(self.parallel - len(in_flight)):
            in_flight.add(asyncio.create_task(self.send(overdue)))
            started += 1
        while len(in_flight) < self.parallel:
            batch_id = await self.prepare_batch()
            if batch_id is None:
                break
            in_flight.add(asyncio.create_task(self.send(batch_id)))
            started += 1
        return started

    async def _loop(self) -> None:
        """Keep up to `parallel` batches in flight; a bank that hangs on one does not hold up the rest."""
        in_flight: set[asyncio.Task[None]] = set()
        try:
            while True:
                try:
                    work = await self._fill(in_flight) + await self.poll_once()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    logger.exception("dispatching payments failed; will retry")
                    work = 0
                if in_flight:
                    done, in_flight = await asyncio.wait(
                        in_flight, timeout=None if work == 0 else 0, return_when=asyncio.FIRST_COMPLETED
                    )
                    for task in done:
                        if task.exception() is not None:
                            logger.error(
                                "sending a batch failed; it will be sent again", exc_info=task.exception()
                            )
                elif work == 0:
                    await asyncio.sleep(self.interval_seconds)
        finally:
            # A send cut short leaves its batch "sending"; it is sent again, as it was, later.
            for task in in_flight:
                task.cancel()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="payment-dispatcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
