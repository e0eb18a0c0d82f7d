"""Database engine, declarative base, and the request's unit of work (its session and its one commit)."""

import asyncio
import logging
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import cache, partial
from typing import Annotated, Any, TypeVar, cast

import orjson
import sqlalchemy
from fastapi import Depends, Request
from sqlalchemy import DateTime, Float, MetaData, bindparam, event
from sqlalchemy.engine import CursorResult, Dialect, Engine, Result, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator

log = logging.getLogger("recording_service.db")
R = TypeVar("R")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes stored as UTC; SQLite hands back naive values, so re-attach UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is UTC:
            return value
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class db_clock(FunctionElement[datetime]):
    """The database server's time plus `seconds`, for leases that several hosts compare: one clock
    decides when a lease has run out, however far the hosts' own clocks drift apart. SQLite is
    embedded (every process sharing the file runs on one host), so there it is that host's clock."""

    type = UTCDateTime()
    name = "db_clock"
    # Cached like any statement (every PATCH runs two with it): the offset is part of the cache key, and the
    # SQLite form is a bind parameter whose value is read at each execution, not when the statement is compiled.
    inherit_cache = True
    _traverse_internals = [*FunctionElement._traverse_internals, ("seconds", InternalTraversal.dp_plain_obj)]

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = float(seconds)
        super().__init__()


@compiles(db_clock)
def _db_clock_server(element: db_clock, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(statement_timestamp() + make_interval(secs => {element.seconds!r}))"


@compiles(db_clock, "sqlite")
def _db_clock_embedded(element: db_clock, compiler: SQLCompiler, **kw: Any) -> str:
    delta = timedelta(seconds=element.seconds)
    return compiler.process(bindparam("db_clock", callable_=lambda: utcnow() + delta, type_=UTCDateTime(), unique=True), **kw)


class db_epoch(FunctionElement[float]):
    """The database server's time as seconds since the epoch (a float), one value for the whole statement,
    for counters that several hosts share (see db_clock). SQLite: this host's clock, read once when the
    element is made, so every use of one element in a statement is the same instant."""

    type = Float()
    name = "db_epoch"
    inherit_cache = True  # cached: the SQLite form is one bind parameter read at each execution

    def __init__(self) -> None:
        # One parameter however often the element appears in a statement: one instant per execution.
        self.now = bindparam("db_epoch", callable_=time.time, type_=Float(), unique=True)
        super().__init__()


@compiles(db_epoch)
def _db_epoch_server(element: db_epoch, compiler: SQLCompiler, **kw: Any) -> str:
    return "CAST(EXTRACT(EPOCH FROM statement_timestamp()) AS DOUBLE PRECISION)"


@compiles(db_epoch, "sqlite")
def _db_epoch_embedded(element: db_epoch, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.now, **kw)


def rowcount(result: Result[*tuple[Any, ...]]) -> int:
    """The rows an UPDATE or DELETE matched. AsyncSession.execute answers them with a CursorResult but is
    typed to return a plain Result (it cannot promise a cursor for every statement)."""
    return cast(CursorResult[*tuple[Any, ...]], result).rowcount


def async_url(url: str) -> str:
    """Map the user's plain SQLAlchemy URL to the async driver we ship."""
    parsed = make_url(url)
    driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+psycopg"}.get(parsed.drivername)
    return parsed.set(drivername=driver).render_as_string(hide_password=False) if driver else url


def sync_url(url: str) -> str:
    parsed = make_url(url)
    driver = {"sqlite+aiosqlite": "sqlite", "postgresql": "postgresql+psycopg", "postgresql+asyncpg": "postgresql+psycopg"}.get(
        parsed.drivername
    )
    return parsed.set(drivername=driver).render_as_string(hide_password=False) if driver else url


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry, *, synchronous: str = "FULL") -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA synchronous={synchronous}")
    cursor.close()


_BLOCKING: "weakref.WeakKeyDictionary[Engine, dict[bool, Engine]]" = weakref.WeakKeyDictionary()


def blocking_engine(engine: object, *, wait_for_disk: bool = True) -> Engine | None:
    """For a SQLite engine, a synchronous engine on the same database file, for a short transaction run whole in one
    worker thread: one hand-off to a thread instead of one per statement, commit and cursor (aiosqlite's way), which
    on a busy machine cost more than the statements. With `wait_for_disk=False` its commits do not wait for the disk
    (synchronous=NORMAL: atomic, seen by every connection at once, kept if the process is killed; only an OS crash
    or power loss can undo the last ones), for commits that acknowledge nothing to anyone. Made at first use and
    disposed with `engine`. None for PostgreSQL (and for a database in memory, which another engine cannot see), and
    for anything but an async engine (a session bound to a connection)."""
    if not isinstance(engine, AsyncEngine) or engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    key = engine.sync_engine
    engines = _BLOCKING.get(key)
    if engines is None:
        engines = _BLOCKING[key] = {}

        def disposed(disposing: Engine) -> None:
            for blocking in _BLOCKING.pop(disposing, {}).values():
                blocking.dispose()

        event.listen(key, "engine_disposed", disposed, once=True)
    if (blocking := engines.get(wait_for_disk)) is None:
        blocking = sqlalchemy.create_engine(
            engine.url.set(drivername="sqlite"),
            connect_args={"check_same_thread": False},  # pooled, used by whichever worker thread runs the transaction
            json_serializer=_json_dumps,
            json_deserializer=orjson.loads,
        )
        event.listen(blocking, "connect", partial(_sqlite_pragmas, synchronous="FULL" if wait_for_disk else "NORMAL"))
        engines[wait_for_disk] = blocking
    return blocking


def in_blocking_session(engine: Engine, work: Callable[[Session], R]) -> R:
    """`work` in a session of its own on a `blocking_engine`, committed (rolled back if it raises)."""
    with Session(engine, expire_on_commit=False) as session:
        result = work(session)
        session.commit()
    return result


@cache
def _transaction_threads() -> ThreadPoolExecutor:
    # Their own threads: never queued behind the store's file work, nor holding its threads while SQLite waits for
    # its write lock (busy_timeout). As many as a pool's connections.
    return ThreadPoolExecutor(max_workers=16, thread_name_prefix="db-transaction")


async def in_transaction_thread(work: Callable[[], R]) -> R:
    """Run `work` (a transaction on a `blocking_engine`, with whatever blocking work belongs with it) in a thread.
    Cancelled, it does not stop the thread: the caller undoes what the transaction did, if it must."""
    return await asyncio.get_running_loop().run_in_executor(_transaction_threads(), work)


@cache
def _read_threads() -> ThreadPoolExecutor:
    # Apart from the transactions' threads: a read (every bearer token's lookup) never waits behind writers held up by
    # SQLite's write lock (busy_timeout) or the fsyncs of acknowledging commits.
    return ThreadPoolExecutor(max_workers=8, thread_name_prefix="db-read")


async def read_apart(session: AsyncSession, read: Callable[[Session], R]) -> R:
    """A short read that needs nothing of `session`'s transaction, on its database: on SQLite in a transaction of its
    own, whole in one thread hand-off (`blocking_engine`; aiosqlite hands off per cursor, statement, fetch and
    commit); elsewhere in `session` itself. What `read` returns must not need the session (loaded, not lazy)."""
    blocking = blocking_engine(session.bind, wait_for_disk=False)
    if blocking is None:
        return await session.run_sync(read)
    return await asyncio.get_running_loop().run_in_executor(_read_threads(), partial(in_blocking_session, blocking, read))


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def create_engine(url: str) -> AsyncEngine:
    url = async_url(url)
    # orjson for JSON columns: a timeline decodes thousands of small JSON values.
    json_codec = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}
    if url.startswith("sqlite"):
        engine = create_async_engine(url, **json_codec)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        # Sessions in UTC: psycopg then hands back datetimes in datetime.timezone.utc, which need no
        # conversion (thousands per timeline), whatever time zone the server is set to.
        engine = create_async_engine(
            url, pool_size=10, max_overflow=20, pool_pre_ping=True, connect_args={"options": "-c TimeZone=UTC"}, **json_codec
        )
    return engine


def ensure_sqlite_directory(url: str) -> None:
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite") and parsed.database and parsed.database != ":memory:":
        from pathlib import Path

        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


AFTER_COMMIT = "recording_service.after_commit"
AfterCommit = Callable[[], Awaitable[None]]


def after_commit(session: AsyncSession, action: AfterCommit) -> None:
    """Run `action` once the session's work has committed, and never if it rolls back: for what must not happen
    before the database says so (holding footage in the store, announcing an event to listeners that act on
    it). An action that fails is logged; what it did not do, a sweep does later."""
    session.info.setdefault(AFTER_COMMIT, []).append(action)


async def commit(session: AsyncSession) -> None:
    """Commit, then run what waited for it (see `after_commit`).

    Called by the request's unit of work, and by the few places that own a short transaction of their own
    (ingest's leases and checkpoints, the job queue, the statistics' compare-and-set, the sweeps, the CLI)."""
    await session.commit()
    actions = session.info.pop(AFTER_COMMIT, [])
    for action in actions:
        try:
            await action()
        except Exception:  # the commit stands; a later sweep repeats what this did not do
            log.exception("an after-commit action failed")


def discard(session: AsyncSession) -> Awaitable[None]:
    """Drop what the session holds and what waited for its commit: a page that answers a refused form
    (rather than raising) discards the attempt's changes before it answers."""
    session.info.pop(AFTER_COMMIT, None)
    return session.rollback()


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session: open until the response has been sent (a streamed body may still read)."""
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with maker() as session:
        yield session


async def unit_of_work(session: Annotated[AsyncSession, Depends(get_session)]) -> AsyncIterator[AsyncSession]:
    """The request owns its transaction: services add and flush, and this commits once when the route has
    returned — before the response is sent, so no client hears of a change the database does not hold — then
    runs the after-commit actions. A route that raises rolls everything back (Polar's get_db_session)."""
    try:
        yield session
    except BaseException:
        await discard(session)
        raise
    else:
        await commit(session)


# scope="function": the commit runs when the route returns, not after the response has gone out.
DbSession = Annotated[AsyncSession, Depends(unit_of_work, scope="function")]
