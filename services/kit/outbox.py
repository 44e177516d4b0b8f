"""Event feeds: an outbox written in the business transaction, served in order, consumed idempotently."""

import asyncio
import contextlib
import datetime as dt
import logging
import uuid
import zlib
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import JSON, Index, String, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from services.kit.auth import Principal, PrincipalDep, PrincipalKind, Role, require_roles, require_scope
from services.kit.database import BigIntId, Database, bulk_insert, utcnow
from services.kit.observability import current_request_id

logger = logging.getLogger("fupin.feed")


class OutboxMixin:
    """Columns of a service's outbox table; `sequence` is given once the row is committed."""

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    event_id: Mapped[uuid.UUID] = mapped_column(unique=True, default=uuid.uuid4)
    sequence: Mapped[int | None] = mapped_column(BigIntId)
    type: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64))
    # JSON, not JSONB: a payload is written once and served as written, never queried inside, and
    # PostgreSQL keeps JSON as checked text where JSONB rebuilds it as a tree (a bulk run writes 1M).
    payload: Mapped[dict[str, Any]] = mapped_column(JSON())
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    request_id: Mapped[str] = mapped_column(String(128), default="-")

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Index, Index]:
        table: str = cls.__tablename__  # type: ignore[attr-defined]
        # The sequencer takes the oldest unnumbered rows; without this it steps over every numbered one.
        unnumbered, numbered = text("sequence IS NULL"), text("sequence IS NOT NULL")
        return (
            Index(f"ix_{table}_unnumbered", "id", postgresql_where=unnumbered, sqlite_where=unnumbered),
            # Numbered rows only: an event enters this index once, when it is given its number.
            Index(
                f"uq_{table}_sequence",
                "sequence",
                unique=True,
                postgresql_where=numbered,
                sqlite_where=numbered,
            ),
        )


class ConsumerCursorMixin:
    """How far a consumer has applied another service's feed, kept in the consumer's database."""

    feed: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(BigIntId, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class FeedEvent(BaseModel):
    """One event as served on a feed."""

    sequence: int
    event_id: uuid.UUID
    type: str
    key: str
    occurred_at: dt.datetime
    payload: dict[str, Any]


class FeedPage(BaseModel):
    """Events after a cursor, in order; `next_after` is the cursor to ask with next."""

    events: list[FeedEvent]
    next_after: int


def publish(
    session: AsyncSession, model: type[OutboxMixin], event_type: str, key: str, payload: dict[str, Any]
) -> None:
    """Add an event to the outbox; it is committed (or not) with the change that caused it."""
    session.add(
        model(type=event_type, key=key, payload=payload, request_id=current_request_id())  # type: ignore[call-arg]
    )


async def publish_many(
    session: AsyncSession, model: type[OutboxMixin], event_type: str, events: list[tuple[str, dict[str, Any]]]
) -> None:
    """Add many events (key, payload) in one bulk insert, in the same transaction as their change."""
    if not events:
        return
    request_id, now = current_request_id(), utcnow()
    await bulk_insert(
        session,
        model.__table__,  # type: ignore[attr-defined]
        [
            {
                "event_id": uuid.uuid4(),
                "type": event_type,
                "key": key,
                "payload": payload,
                "occurred_at": now,
                "request_id": request_id,
            }
            for key, payload in events
        ],
    )


async def assign_sequences(
    session: AsyncSession, model: type[OutboxMixin], schema: str, batch: int = 5000
) -> None:
    """Number committed rows in one place, under a lock, so the feed never skips a late commit."""
    if session.get_bind().dialect.name == "postgresql":
        lock_key = zlib.crc32(f"{schema}.outbox".encode())
        await session.execute(select(func.pg_advisory_xact_lock(lock_key)))
    last = int((await session.execute(select(func.coalesce(func.max(model.sequence), 0)))).scalar_one() or 0)
    # One statement numbers the batch, the oldest unnumbered rows in id order, instead of one per row.
    oldest = select(model.id).where(model.sequence.is_(None)).order_by(model.id).limit(batch).subquery()
    numbered = select(
        oldest.c.id, (last + func.row_number().over(order_by=oldest.c.id)).label("sequence")
    ).subquery()
    await session.execute(
        update(model)
        .where(model.id == numbered.c.id)
        .values(sequence=numbered.c.sequence)
        .execution_options(synchronize_session=False)
    )


async def read_feed(database: Database, model: type[OutboxMixin], after: int, limit: int) -> FeedPage:
    async with database.sessionmaker() as session, session.begin():
        await assign_sequences(session, model, database.schema)
    async with database.sessionmaker() as session:
        rows = (
            (
                await session.execute(
                    select(model).where(model.sequence > after).order_by(model.sequence).limit(limit)
                )
            )
            .scalars()
            .all()
        )
    events = [
        FeedEvent(
            sequence=row.sequence or 0,
            event_id=row.event_id,
            type=row.type,
            key=row.key,
            occurred_at=row.occurred_at,
            payload=row.payload,
        )
        for row in rows
    ]
    return FeedPage(events=events, next_after=events[-1].sequence if events else after)


def feed_router(model: type[OutboxMixin], service: str, scope: str, description: str) -> APIRouter:
    """This service's feed after a cursor, at GET /internal/v1/events for services holding `scope` and
    at GET /api/v1/feeds/<service>/events for admins (the CLI's replay, 事件重放)."""
    router = APIRouter()
    for_services = require_scope(scope)
    for_admins = require_roles(Role.ADMIN)

    async def reader(principal: PrincipalDep) -> Principal:
        if principal.kind is PrincipalKind.USER:
            return await for_admins(principal)
        return await for_services(principal)

    async def events(
        request: Request,
        _reader: Annotated[Principal, Depends(reader)],
        after: Annotated[int, Query(ge=0, le=2**62, description="events after this sequence")] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> FeedPage:
        return await read_feed(request.app.state.database, model, after, limit)

    for path, tag in (
        ("/internal/v1/events", "internal"),
        (f"/api/v1/feeds/{service}/events", "feeds / 事件流"),
    ):
        router.add_api_route(path, events, response_model=FeedPage, summary=description, tags=[tag])
    return router


FetchPage = Callable[[int, int], Awaitable[FeedPage]]
HandleEvent = Callable[[AsyncSession, FeedEvent], Awaitable[None]]


class FeedConsumer:
    """Pulls a feed after its stored cursor and applies each event once, cursor and effect together."""

    def __init__(
        self,
        *,
        feed: str,
        database: Database,
        cursor_model: type[ConsumerCursorMixin],
        fetch_page: FetchPage,
        handle: HandleEvent,
        poll_seconds: float = 0.5,
        page_size: int = 200,
    ) -> None:
        self.feed = feed
        self.database = database
        self.cursor_model = cursor_model
        self.fetch_page = fetch_page
        self.handle = handle
        self.poll_seconds = poll_seconds
        self.page_size = page_size
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def position(self) -> int:
        async with self.database.sessionmaker() as session:
            row = await session.get(self.cursor_model, self.feed)
            return row.position if row else 0

    async def _ensure_cursor(self) -> None:
        """Create the cursor row in its own transaction (a concurrent replica may win the race)."""
        async with self.database.sessionmaker() as session:
            if await session.get(self.cursor_model, self.feed) is not None:
                return
            session.add(self.cursor_model(feed=self.feed, position=0))  # type: ignore[call-arg]
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()

    async def _locked_cursor(self, session: AsyncSession) -> ConsumerCursorMixin:
        stmt = select(self.cursor_model).where(self.cursor_model.feed == self.feed)
        if not self.database.is_sqlite:
            stmt = stmt.with_for_update()
        return (await session.execute(stmt)).scalar_one()

    async def run_once(self) -> int:
        """Apply one page; returns how many events were new."""
        await self._ensure_cursor()
        page = await self.fetch_page(await self.position(), self.page_size)
        if not page.events:
            return 0
        applied = 0
        async with self.database.sessionmaker() as session, session.begin():
            cursor = await self._locked_cursor(session)
            for event in page.events:
                if event.sequence <= cursor.position:
                    continue  # another replica got here first
                await self.handle(session, event)
                cursor.position = event.sequence
                applied += 1
        return applied

    async def drain(self) -> int:
        """Apply everything available now (used by tests and one-shot catch-up)."""
        total = 0
        while True:
            applied = await self.run_once()
            total += applied
            if applied == 0:
                return total

    async def _run_forever(self) -> None:
        backoff = self.poll_seconds
        while True:
            try:
                applied = await self.run_once()
                backoff = self.poll_seconds
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("feed %s: applying a page failed; will retry", self.feed)
                applied = 0
                backoff = min(backoff * 2, 30.0)
            if applied < self.page_size:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=backoff)

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run_forever(), name=f"feed:{self.feed}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @property
    def running(self) -> bool:
        return self._task is not None
