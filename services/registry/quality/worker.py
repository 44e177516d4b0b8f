"""The background side of data quality: run what was requested, and schedule each county's check."""

import asyncio
import contextlib
import datetime as dt
import logging

from services.kit.database import Database
from services.registry.clock import Clock
from services.registry.models import QualityRun
from services.registry.quality import repository, service

logger = logging.getLogger("fupin.registry.quality")


class QualityWorker:
    """Runs queued data-quality runs one by one; every `interval_hours` queues one run per county."""

    def __init__(
        self, database: Database, clock: Clock, *, interval_hours: float, poll_seconds: float
    ) -> None:
        self.database = database
        self.clock = clock
        self.interval = dt.timedelta(hours=interval_hours) if interval_hours > 0 else None
        self.poll_seconds = poll_seconds
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def recover(self) -> None:
        """A run left running by a crash wrote nothing (findings commit with it): queue it again."""
        async with self.database.sessionmaker() as session, session.begin():
            for run in await repository.running(session):
                run.status = service.QUEUED
                run.started_at = None

    async def schedule_due(self) -> int:
        """Queue a scheduled run per county when the last scheduled round is older than the interval."""
        if self.interval is None:
            return 0
        async with self.database.sessionmaker() as session, session.begin():
            last = await repository.last_scheduled(session)
            now = self.clock.now()
            if last is not None and now - last < self.interval:
                return 0
            counties = await repository.counties_with_households(session)
            for county in counties:
                session.add(
                    QualityRun(
                        region_code=county,
                        trigger="scheduled",
                        status=service.QUEUED,
                        requested_by="scheduler",
                        requested_at=now,
                    )
                )
            return len(counties)

    async def run_next(self) -> bool:
        """Claim one queued run and do it; False when none is waiting."""
        async with self.database.sessionmaker() as session, session.begin():
            run = await repository.claim_queued(session, postgres=not self.database.is_sqlite)
            if run is None:
                return False
            run.status = service.RUNNING
            run.started_at = self.clock.now()
            run_id = run.id
        try:
            async with self.database.sessionmaker() as session, session.begin():
                run = await session.get(QualityRun, run_id, populate_existing=True)
                assert run is not None
                await service.execute(session, run, self.clock)
        except Exception as exc:
            logger.exception("data-quality run %s failed", run_id)
            async with self.database.sessionmaker() as session, session.begin():
                failed = await session.get(QualityRun, run_id)
                assert failed is not None
                failed.status = service.FAILED
                failed.error = str(exc)[:500]
                failed.finished_at = self.clock.now()
        return True

    async def run_pending(self) -> int:
        done = 0
        while await self.run_next():
            done += 1
        return done

    async def _loop(self) -> None:
        await self.recover()
        while True:
            try:
                await self.schedule_due()
                await self.run_pending()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("data-quality worker failed; will retry")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="quality-worker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
