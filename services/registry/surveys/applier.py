"""The survey applier: received submissions applied in the order received, many to a transaction."""

import asyncio
import contextlib
import logging

from services.kit.database import Database
from services.registry.surveys import repository
from services.registry.surveys.service import RECEIVED, Context, apply_received

logger = logging.getLogger("fupin.registry.surveys")


class SurveyApplier:
    """Background worker; replicas share the work (a submission being applied is skipped by the others)."""

    def __init__(
        self, database: Database, context: Context, poll_seconds: float, batch_size: int = 100
    ) -> None:
        self.database = database
        self.context = context
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def apply_next(self) -> int:
        """Apply the oldest complete received submissions, one after the other; how many there were."""
        # One commit for many: each keeps its own outcome (a conflict is undone in its own savepoint).
        async with self.database.sessionmaker() as session, session.begin():
            submissions = await repository.next_received(session, RECEIVED, self.batch_size)
            await apply_received(session, submissions, self.context)
            return len(submissions)

    async def drain(self) -> int:
        applied = 0
        while batch := await self.apply_next():
            applied += batch
        return applied

    async def _run_forever(self) -> None:
        while True:
            try:
                await self.drain()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("applying a received survey failed; will retry")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run_forever(), name="survey-applier")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
