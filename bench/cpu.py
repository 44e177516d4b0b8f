"""CPU seconds of local processes and of a database's PostgreSQL backends (benches on a shared machine)."""

import asyncio
import contextlib
import os
from pathlib import Path

import asyncpg

TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a local process, or None when it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS


class PostgresCpu:
    """CPU seconds used so far by the backends serving one database (None when PostgreSQL is remote)."""

    def __init__(self, server: str, database: str) -> None:
        self.server, self.database = server, database
        # Backends come and go with the pool, so each one's highest reading is kept (one that exits
        # loses at most one sampling interval).
        self.backends: dict[int, float] = {}
        self.visible = True
        self._task: asyncio.Task[None] | None = None

    async def _sample_forever(self) -> None:
        connection = await asyncpg.connect(f"postgresql://{self.server}/postgres")
        try:
            while True:
                pids = await connection.fetch(
                    "SELECT pid FROM pg_stat_activity WHERE datname = $1", self.database
                )
                readings = {pid: process_cpu(pid) for (pid,) in pids}
                # A backend may exit between the query and the read; none readable means a remote server.
                if readings and all(used is None for used in readings.values()):
                    self.visible = False
                for pid, used in readings.items():
                    if used is not None:
                        self.backends[pid] = max(used, self.backends.get(pid, 0.0))
                await asyncio.sleep(0.2)
        finally:
            await connection.close()

    def start(self) -> None:
        self._task = asyncio.create_task(self._sample_forever())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def seconds(self) -> float | None:
        return sum(self.backends.values()) if self.visible else None
