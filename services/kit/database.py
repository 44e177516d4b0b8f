"""Database engine, session per request and the column types every service shares."""

import datetime as dt
import uuid
import zlib
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    DateTime,
    Integer,
    MetaData,
    Table,
    Uuid,
    any_,
    bindparam,
    event,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Mapped, QueryableAttribute, mapped_column
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

from services.kit.errors import Conflict

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    """Metadata with stable constraint names, so migrations are the same on every database."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """An instant, always timezone-aware UTC (SQLite forgets the zone, so we put it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


BigIntId = BigInteger().with_variant(Integer, "sqlite")
JSONDocument = JSON().with_variant(JSONB(), "postgresql")

TYPE_ANNOTATION_MAP: dict[Any, Any] = {
    int: BigIntId,
    dt.datetime: UTCDateTime(),
    dict[str, Any]: JSONDocument,
    list[Any]: JSONDocument,
    uuid.UUID: Uuid(),
}


class Timestamped:
    """created_at / updated_at and an optimistic-concurrency version for user-changed rows."""

    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(url: str, schema: str, pool_size: int = 10) -> AsyncEngine:
    """An engine whose connections see only this service's schema (search_path on PostgreSQL)."""
    if is_sqlite(url):
        engine = create_async_engine(
            url,
            connect_args={"timeout": 30},
            poolclass=StaticPool if ":memory:" in url else None,
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the driver, open transactions, so SAVEPOINTs really nest.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            # IMMEDIATE takes the write lock up front: writers queue on busy_timeout instead of failing.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        # No test query on each checkout (two round trips, ~2 ms of a survey's 18): a connection the
        # server dropped fails once, the pool is replaced, and that request answers 503 (errors.py).
        pool_recycle=1800,
        connect_args={"server_settings": {"search_path": schema}},
    )


class Database:
    """One service's engine and session factory."""

    def __init__(self, url: str, schema: str, pool_size: int = 10) -> None:
        self.url = url
        self.schema = schema
        self.engine = create_engine(url, schema, pool_size)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    async def dispose(self) -> None:
        await self.engine.dispose()

    @asynccontextmanager
    async def exclusively(self, purpose: str) -> AsyncIterator[None]:
        """Hold a PostgreSQL advisory lock named after this schema and purpose (one process at a time).

        Replicas start together: each adds the shipped rows it does not find, so without the lock two
        of them add the same row and one fails to start.
        """
        if self.is_sqlite:  # one process owns an SQLite file
            yield
            return
        key = zlib.crc32(f"{self.schema}.{purpose}".encode())
        async with self.engine.connect() as connection:
            await connection.execute(select(func.pg_advisory_lock(key)))
            try:
                yield
            finally:
                await connection.execute(select(func.pg_advisory_unlock(key)))


def one_of(
    session: AsyncSession, column: QueryableAttribute[Any], values: Collection[Any]
) -> ColumnElement[bool]:
    """`column IN values`, sent to PostgreSQL as one array parameter rather than one parameter per value.

    A thousand ids as a thousand placeholders cost a compile and a parse on every call; an array is
    one placeholder, so the statement is prepared once.
    """
    return in_list(column, session.get_bind().dialect.name, values=list(values))


def in_list(
    column: QueryableAttribute[Any], dialect: str, name: str | None = None, values: list[Any] | None = None
) -> ColumnElement[bool]:
    """`column IN :name`: one array parameter on PostgreSQL, an expanded list elsewhere.

    Named and without values, it serves a statement built once per dialect and given the list when it
    runs: building a query with joins and aliases costs more CPU than running it (~1 ms against 0.3).
    """
    postgresql = dialect == "postgresql"
    kind: Any = ARRAY(column.type) if postgresql else column.type
    parameter = (
        bindparam(name, type_=kind, expanding=not postgresql)
        if values is None
        else bindparam(name, values, type_=kind, expanding=not postgresql)
    )
    return column == any_(parameter) if postgresql else column.in_(parameter)


async def flush_or_conflict(session: AsyncSession, conflict: Conflict) -> None:
    """Flush; a constraint violation raises `conflict`, and the transaction is then lost.

    A caller that goes on after the conflict must hold a savepoint begun before it added these rows:
    one begun here would not help, as begin_nested() flushes what is pending before its SAVEPOINT.
    """
    try:
        await session.flush()
    except IntegrityError as exc:
        raise conflict from exc


async def bulk_insert(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows in this session's transaction: binary COPY on PostgreSQL, executemany elsewhere.

    Every row names the same columns, and only those are written: Python-side column defaults are not
    applied on the COPY path, so rows carry every value the table does not default itself.
    """
    if not rows:
        return
    connection = await session.connection()
    dialect = connection.dialect
    if dialect.driver != "asyncpg":
        await session.execute(insert(table), rows)
        return
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    if not driver.is_in_transaction():
        # The driver opens the session's transaction lazily, on its first statement; COPY is not one.
        await connection.execute(select(literal(1)))
    names = list(rows[0])
    converted = [
        (position, process)
        for position, name in enumerate(names)
        if (process := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None
    ]
    records: list[list[Any]] = []
    for row in rows:
        values = [row[name] for name in names]
        for position, process in converted:
            if values[position] is not None:
                values[position] = process(values[position])
        records.append(values)
    await driver.copy_records_to_table(table.name, records=records, columns=names)


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed after the handler returns, before the response."""
    database: Database = request.app.state.database
    async with database.sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]
