"""Engines from URLs, and the two kinds of transaction: a write, and a read-only snapshot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import asyncpg  # type: ignore[import-untyped]  # (no stubs; its exception classes only)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ledger.store.backends import backend_of
from ledger.store.event_store import CommitUnknown, TransactionLost

__all__ = [
    "DEFAULT_DATABASE_URL",
    "async_url",
    "committed",
    "create_engine",
    "found_ended",
    "plain_url",
    "read_on_a_live_connection",
    "snapshot",
    "statements_alone",
    "write_transaction",
]

DEFAULT_DATABASE_URL = "sqlite:///evidence-ledger.db"

T = TypeVar("T")

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
}


def async_url(url: str | URL) -> URL:
    """Map plain ``sqlite:///`` and ``postgresql://`` URLs to the async drivers. libpq's
    ``sslmode`` (as hosting providers hand the URLs out) becomes asyncpg's ``ssl``, which
    takes the same modes: asyncpg's own keyword has no ``sslmode``."""
    parsed = make_url(url) if isinstance(url, str) else url
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver is not None:
        parsed = parsed.set(drivername=driver)
    if parsed.drivername == "postgresql+asyncpg" and "sslmode" in parsed.query:
        query = dict(parsed.query)
        query["ssl"] = query.pop("sslmode")
        parsed = parsed.set(query=query)
    if parsed.drivername not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
        raise ValueError(
            f"unsupported database URL scheme {parsed.drivername!r}: "
            "use sqlite:///path.db or postgresql://user@host/db"
        )
    return parsed


def plain_url(url: URL) -> URL:
    """``async_url`` undone for PostgreSQL (any other URL is returned as it is): the
    ``postgresql://`` URL as libpq, asyncpg's own DSN parser and the person who wrote it name
    it (``sslmode``, not asyncpg's keyword ``ssl``)."""
    if url.get_backend_name() != "postgresql":
        return url
    url = url.set(drivername="postgresql")
    if "ssl" in url.query:
        query = dict(url.query)
        query["sslmode"] = query.pop("ssl")
        url = url.set(query=query)
    return url


def create_engine(url: str | URL, *, echo: bool = False, pool_size: int = 10) -> AsyncEngine:
    target = async_url(url)
    return backend_of(target).create_engine(target, echo=echo, pool_size=pool_size)


def statements_alone(engine: AsyncEngine) -> AsyncEngine:
    """The engine (the same pool) running each statement alone, without BEGIN and COMMIT
    around it: for a read of one statement, which sees one snapshot by itself."""
    return backend_of(engine).statements_alone(engine)


def found_ended(error: BaseException) -> bool:
    """Whether ``error`` is a statement's finding that its connection had ended (the server
    restarted, or an administrator ended the session): the pool has then let go of it and
    of every connection as old, so a new connection answers."""
    return isinstance(error, DBAPIError) and error.connection_invalidated


def _commit_never_sent(error: DBAPIError) -> bool:
    """Whether a failed commit's driver refused to send it, having seen its connection end
    before: then nothing was committed. asyncpg raises its ``InterfaceError`` only from its
    checks before a message is written (the connection closed, released or busy); a COMMIT
    lost once written is a ``ConnectionDoesNotExistError`` (08003). SQLAlchemy keeps the
    driver's error as the cause of its adapter's (``orig``)."""
    adapted = error.orig
    return adapted is not None and isinstance(adapted.__cause__, asyncpg.exceptions.InterfaceError)


@asynccontextmanager
async def committed(conn: AsyncConnection) -> AsyncIterator[None]:
    """``conn.begin()``: committed on normal exit, rolled back on an exception. A connection
    found ended at the commit raises ``TransactionLost`` when the commit was never sent (the
    driver knew of the end already: nothing was written) and ``CommitUnknown`` when it was,
    or may have been (the server may have committed, and its answer been lost)."""
    committing = False
    try:
        async with conn.begin():
            yield
            committing = True
    except DBAPIError as error:
        if not (committing and found_ended(error)):
            raise
        if _commit_never_sent(error):
            raise TransactionLost() from error
        raise CommitUnknown() from error


async def read_on_a_live_connection(
    engine: AsyncEngine, read: Callable[[AsyncConnection], Awaitable[T]]
) -> T:
    """``read`` on a pooled connection, and once more on a new one when the first was found
    ended. Only for what reads: a read that failed there changed nothing."""
    try:
        async with engine.connect() as conn:
            return await read(conn)
    except DBAPIError as error:
        if not found_ended(error):
            raise
    async with engine.connect() as conn:
        return await read(conn)


@asynccontextmanager
async def snapshot(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A read-only transaction that sees one moment of the database from its first read on.

    PostgreSQL: REPEATABLE READ. SQLite (WAL): a read transaction keeps its snapshot.
    """
    async with engine.connect() as conn:
        await backend_of(engine).before_snapshot(conn)
        async with conn.begin():
            yield conn


@asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A transaction that will write: committed on normal exit, rolled back on an exception
    (a lost commit as ``committed`` says).

    SQLite: BEGIN IMMEDIATE, which waits for the write lock before the first read (see
    ``ledger.store.sqlite.begin_immediate``).
    """
    async with engine.connect() as conn:
        await backend_of(engine).before_write(conn)
        async with committed(conn):
            yield conn
