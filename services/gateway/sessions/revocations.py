"""Revoked sessions and disabled accounts, held in memory so every request can be checked for free."""

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.sessions import repository
from services.kit.auth import Principal
from services.kit.database import utcnow


class Revocations:
    """Access tokens are stateless for 15 minutes; this list lets the gateway refuse them sooner.

    Each replica reloads it every few seconds and updates it at once for revocations it makes itself.
    """

    def __init__(self, token_seconds: int) -> None:
        self._horizon = dt.timedelta(seconds=token_seconds)
        self._sessions: set[str] = set()
        self._subjects: set[str] = set()

    def refuses(self, principal: Principal) -> bool:
        return principal.subject in self._subjects or (
            principal.session_id is not None and principal.session_id in self._sessions
        )

    def revoke_session(self, session_id: str) -> None:
        self._sessions.add(session_id)

    def set_disabled(self, subject: str, disabled: bool) -> None:
        if disabled:
            self._subjects.add(subject)
        else:
            self._subjects.discard(subject)

    async def load(self, session: AsyncSession) -> None:
        """Sessions revoked within one token lifetime (older tokens have expired), and disabled accounts."""
        since = utcnow() - self._horizon
        self._sessions = {str(sid) for sid in await repository.recently_revoked_session_ids(session, since)}
        self._subjects = set(await repository.disabled_subjects(session))
