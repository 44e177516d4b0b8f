"""Revoked sessions and disabled accounts, held in memory so every request can be checked for free."""

import datetime as dt
import time

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.sessions import repository
from services.kit.auth import Principal
from services.kit.database import utcnow

Change = tuple[str, str, bool]
"""(what: "session" or "subject", its id, revoked or disabled)"""


class Revocations:
    """Access tokens are stateless for 15 minutes; this list lets the gateway refuse them sooner.

    Each replica reloads it every few seconds and updates it at once for revocations it makes itself.
    """

    def __init__(self, token_seconds: int, replay_seconds: float = 30.0) -> None:
        self._horizon = dt.timedelta(seconds=token_seconds)
        self._sessions: set[str] = set()
        self._subjects: set[str] = set()
        # A reload may read the database just before this replica's own change commits: recent local
        # changes are replayed on top of every reload, in order, so none is ever undone by one.
        self._replay_seconds = replay_seconds
        self._recent: list[tuple[float, Change]] = []

    def refuses(self, principal: Principal) -> bool:
        return principal.subject in self._subjects or (
            principal.session_id is not None and principal.session_id in self._sessions
        )

    def revoke_session(self, session_id: str) -> None:
        self._record(("session", session_id, True))

    def set_disabled(self, subject: str, disabled: bool) -> None:
        self._record(("subject", subject, disabled))

    def _record(self, change: Change) -> None:
        _apply(self._sessions, self._subjects, change)
        self._recent.append((time.monotonic(), change))

    async def load(self, session: AsyncSession) -> None:
        """Sessions revoked within one token lifetime (older tokens have expired), and disabled accounts."""
        since = utcnow() - self._horizon
        sessions = {str(sid) for sid in await repository.recently_revoked_session_ids(session, since)}
        subjects = set(await repository.disabled_subjects(session))
        cutoff = time.monotonic() - self._replay_seconds
        self._recent = [(at, change) for at, change in self._recent if at >= cutoff]
        for _at, change in self._recent:
            _apply(sessions, subjects, change)
        self._sessions, self._subjects = sessions, subjects


def _apply(sessions: set[str], subjects: set[str], change: Change) -> None:
    kind, value, on = change
    target = sessions if kind == "session" else subjects
    if on:
        target.add(value)
    else:
        target.discard(value)
