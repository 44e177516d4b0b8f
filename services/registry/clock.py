"""The registry's clock: notice periods and deadlines are judged by it, and tests move it."""

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request

from services.kit.database import utcnow


class Clock:
    """Server time in UTC, and the local calendar (the county's time zone) that periods are counted in."""

    def __init__(self, timezone: str) -> None:
        self.zone = ZoneInfo(timezone)
        self._offset = dt.timedelta(0)
        self._frozen: dt.datetime | None = None

    def now(self) -> dt.datetime:
        return self._frozen if self._frozen is not None else utcnow() + self._offset

    def today(self) -> dt.date:
        return self.local(self.now()).date()

    def local(self, instant: dt.datetime) -> dt.datetime:
        return instant.astimezone(self.zone)

    def start_of_day(self, day: dt.date) -> dt.datetime:
        """The instant a local calendar day begins (00:00 in the county's zone), in UTC."""
        return dt.datetime.combine(day, dt.time(0), tzinfo=self.zone).astimezone(dt.UTC)

    def freeze(self, instant: dt.datetime) -> None:
        """Stop the clock at `instant` (tests and drills)."""
        self._frozen = instant.astimezone(dt.UTC)

    def advance(self, delta: dt.timedelta) -> None:
        if self._frozen is not None:
            self._frozen += delta
        else:
            self._offset += delta


async def _clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


ClockDep = Annotated[Clock, Depends(_clock)]
