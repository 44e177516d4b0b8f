"""Keeps a replica's signing keys and revocation list fresh, so a rotation or a revocation made
on one gateway replica reaches the others within `state_reload_seconds`."""

import asyncio
import contextlib
import logging

from services.gateway.keys.ring import KeyRing
from services.gateway.sessions.revocations import Revocations
from services.kit.database import Database

logger = logging.getLogger("fupin.gateway.reloader")


class StateReloader:
    """Background worker: reload keys and revocations from the database every few seconds."""

    def __init__(
        self, database: Database, key_ring: KeyRing, revocations: Revocations, interval_seconds: float
    ) -> None:
        self.database = database
        self.key_ring = key_ring
        self.revocations = revocations
        self.interval_seconds = interval_seconds
        self._task: asyncio.Task[None] | None = None

    async def reload(self) -> None:
        async with self.database.sessionmaker() as session, session.begin():
            await self.key_ring.load(session)
            await self.revocations.load(session)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval_seconds)
            try:
                await self.reload()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("reloading keys and revocations failed; keeping the previous ones")

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="gateway-state-reloader")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
