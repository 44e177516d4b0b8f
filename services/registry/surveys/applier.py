"""The survey applier: received submissions applied one at a time, each in its own transaction."""

import asyncio
import contextlib
import logging

from services.kit.database import Database
from services.registry.surveys import repository
from services.registry.surveys.service import RECEIVED, Context, apply_stored

logger = logging.getLogger("fupin.registry.surveys")


class SurveyApplier:
    """Background worker; replicas share the work (a submission being applied is skipped by the others)."""

    def __init__(self, database: Database, context: Context, poll_seconds: float) -> None:
        self.database = database
        self.context = context
        self.poll_seconds = poll_seconds
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def apply_next(self) -> bool:
        """Apply the oldest complete received submission; False when there is none."""
        async with self.database.sessionmaker() as session, session.begin():
            submission = await repository.next_received(session, RECEIVED)
            if submission is None:
                return False
            await apply_stored(session, submission, self.context)
            return True

    async def drain(self) -> int:
        applied = 0
        while await self.apply_next():
            applied += 1
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
