"""The gateway's front door: who calls, revoked sessions, rate limits, page caps, the audit of changes."""

import asyncio
import logging
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.config import GatewaySettings
from services.gateway.models import AuditRecord
from services.gateway.routing.table import service_for
from services.kit.audit import audit_row
from services.kit.auth import Principal, PrincipalKind
from services.kit.database import Database
from services.kit.errors import AppError, TooManyRequests, Unauthorized, Unprocessable
from services.kit.limits import oversized_page
from services.kit.tokens import InvalidToken

logger = logging.getLogger("fupin.gateway.guard")

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SIGN_IN_PATHS = frozenset({"/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/token"})
# Bank callbacks carry no token but an HMAC signature; a busy bank must not share the anonymous quota.
SIGNED_CALLBACK_PREFIX = "/api/v1/bank/"


class AccessGuard:
    """Runs before any handler or forwarding, for the gateway's own endpoints and the services' alike.

    - A valid token whose session was revoked, or whose account was disabled, is refused (401).
    - Every caller has a quota per window: per person, per client, per IP without a token (429 + Retry-After).
    - A GET asking for more than `max_page_size` rows is refused (422).
    - Every POST/PUT/PATCH/DELETE is recorded in the gateway's audit (actor, roles, regions, request id,
      outcome) before its response leaves; sign-in endpoints record their own attempts.
    Tokens are only read here; each service still verifies them and applies role and region itself.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.audits = AuditWriter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        settings: GatewaySettings = state.settings
        path: str = scope["path"]
        method: str = scope["method"]
        client = scope.get("client")
        client_ip = str(client[0]) if client else "-"
        # Sign-in endpoints ignore any bearer token: a phone whose session was revoked may sign in again.
        principal = None if path in SIGN_IN_PATHS else await self._principal(scope, state)

        refusal: AppError | None = None
        if principal is not None and state.revocations.refuses(principal):
            refusal = Unauthorized(
                "This session has been revoked or the account disabled; sign in again.",
                "会话已注销或账号已停用,请重新登录。",
                code="session_revoked",
                headers={"WWW-Authenticate": "Bearer"},
            )
        else:
            key, amount = self._quota(principal, path, client_ip, settings)
            retry = await state.rate_limiter.hit(key, amount, settings.rate_limit_window_seconds)
            if retry is not None:
                refusal = TooManyRequests(
                    f"Rate limit of {amount} requests per {settings.rate_limit_window_seconds} s exceeded.",
                    "请求过于频繁,请稍后再试。",
                    headers={"Retry-After": str(retry)},
                )
                # One audit record per caller and window, so a flood cannot flood the audit table too.
                if (
                    await state.rate_limiter.hit(f"audited:{key}", 1, settings.rate_limit_window_seconds)
                    is None
                ):
                    await self._audit(state, principal, method, path, 429, client_ip, "rate_limited")
                response = refusal.to_response()
                await response(scope, receive, send)
                return
            if method == "GET":
                refusal = self._page_refusal(scope, settings)
        if refusal is not None:
            if method in STATE_CHANGING:
                await self._audit(state, principal, method, path, refusal.status_code, client_ip)
            await refusal.to_response()(scope, receive, send)
            return
        if method not in STATE_CHANGING or path in SIGN_IN_PATHS:
            # Sign-in endpoints write their own, richer audit record in their own transaction.
            await self.app(scope, receive, send)
            return

        audited = False

        async def audited_send(message: Message) -> None:
            nonlocal audited
            if message["type"] == "http.response.start" and not audited:
                audited = True
                await self._audit(state, principal, method, path, int(message["status"]), client_ip)
            await send(message)

        try:
            await self.app(scope, receive, audited_send)
        except Exception:
            if not audited:
                await self._audit(state, principal, method, path, 500, client_ip)
            raise

    @staticmethod
    async def _principal(scope: Scope, state: Any) -> Principal | None:
        """The verified caller, or None: a missing or bad token is anonymous here and refused downstream."""
        authorization = Headers(scope=scope).get("authorization", "")
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() != "bearer" or not credentials:
            return None
        try:
            return Principal.from_claims(await state.token_verifier.verify(credentials.strip()))
        except (InvalidToken, AppError, KeyError):
            return None

    @staticmethod
    def _quota(
        principal: Principal | None, path: str, client_ip: str, settings: GatewaySettings
    ) -> tuple[str, int]:
        if path in SIGN_IN_PATHS:
            return f"sign-in:{client_ip}", settings.rate_limit_sign_in_requests
        if principal is not None and principal.kind is PrincipalKind.USER:
            return f"user:{principal.subject}", settings.rate_limit_user_requests
        if principal is not None:
            return f"client:{principal.subject}", settings.rate_limit_client_requests
        if path.startswith(SIGNED_CALLBACK_PREFIX):
            return f"callback:{client_ip}", settings.rate_limit_client_requests
        return f"ip:{client_ip}", settings.rate_limit_anonymous_requests

    @staticmethod
    def _page_refusal(scope: Scope, settings: GatewaySettings) -> AppError | None:
        name = oversized_page(scope["query_string"], settings.max_page_size)
        if name is None:
            return None
        return Unprocessable(
            f"Page size {name} may not exceed {settings.max_page_size}.",
            f"每页条数不得超过 {settings.max_page_size}。",
            code="page_too_large",
        )

    async def _audit(
        self,
        state: Any,
        principal: Principal | None,
        method: str,
        path: str,
        status: int,
        client_ip: str,
        outcome: str | None = None,
    ) -> None:
        """Commit the record before the response leaves; if the audit database fails, log and go on."""
        record = audit_row(
            AuditRecord,
            actor=principal,
            action=f"api.{method.lower()}",
            entity_type=service_for(path) or "gateway",
            entity_id=path[:64],
            outcome=outcome or ("ok" if status < 400 else "refused" if status < 500 else "error"),
            detail={"method": method, "path": path[:500], "status": status, "client_ip": client_ip},
        )
        await self.audits.write(state.database, record)


class AuditWriter:
    """Group commit of the guard's records: whoever holds the lock commits every record queued so far."""

    # Each caller still returns only once its own record is committed (or the failure logged), so a
    # crash loses nothing that was answered; records queued while a commit is in flight share the next.

    def __init__(self) -> None:
        self._queue: list[tuple[AuditRecord, asyncio.Future[None]]] = []
        self._lock = asyncio.Lock()

    async def write(self, database: Database, record: AuditRecord) -> None:
        written = asyncio.get_running_loop().create_future()
        self._queue.append((record, written))
        async with self._lock:
            if self._queue:
                batch, self._queue = self._queue, []
                # Shielded: a caller that goes away mid-commit must not leave the others waiting.
                await asyncio.shield(self._commit(database, batch))
        await written

    @classmethod
    async def _commit(cls, database: Database, batch: list[tuple[AuditRecord, asyncio.Future[None]]]) -> None:
        records = [record for record, _ in batch]
        if not await cls._insert(database, records) and len(records) > 1:
            # One record the database refuses must not cost the others theirs: each on its own, as before.
            for record in records:
                await cls._insert(database, [record])
        for _, written in batch:
            if not written.done():  # a caller cancelled while waiting cancelled its future
                written.set_result(None)

    @staticmethod
    async def _insert(database: Database, records: list[AuditRecord]) -> bool:
        """Commit these records in one transaction; False (a lone record's failure logged) if it failed."""
        try:
            async with database.sessionmaker() as session, session.begin():
                session.add_all(records)
        except Exception:
            if len(records) == 1:
                detail = records[0].detail
                logger.exception(
                    "could not record the audit of %s %s (%s)",
                    detail["method"],
                    detail["path"],
                    detail["status"],
                )
            return False
        return True
