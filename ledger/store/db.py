"""Engines from URLs, the SQLite pragmas, and how write transactions begin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

__all__ = [
    "DEFAULT_DATABASE_URL",
    "async_url",
    "create_engine",
    "is_sqlite",
    "snapshot",
    "sqlite_pragmas",
    "write_transaction",
]

DEFAULT_DATABASE_URL = "sqlite:///evidence-ledger.db"

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
}

# Execution option read when a transaction begins on SQLite: writers ask for IMMEDIATE so the
# write lock is taken at BEGIN (a deferred reader upgrading to writer can fail at once with
# SQLITE_BUSY instead of waiting), readers keep DEFERRED and never block under WAL.
SQLITE_BEGIN = "ledger_sqlite_begin"


def async_url(url: str | URL) -> URL:
    """Map plain ``sqlite:///`` and ``postgresql://`` URLs to the async drivers."""
    parsed = make_url(url) if isinstance(url, str) else url
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver is not None:
        parsed = parsed.set(drivername=driver)
    if parsed.drivername not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
        raise ValueError(
            f"unsupported database URL scheme {parsed.drivername!r}: "
            "use sqlite:///path.db or postgresql://user@host/db"
        )
    return parsed


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def create_engine(url: str | URL, *, echo: bool = False, pool_size: int = 10) -> AsyncEngine:
    target = async_url(url)
    if target.get_backend_name() == "sqlite":
        return _sqlite_engine(target, echo=echo, pool_size=pool_size)
    # No pre-ping: it costs a round trip per checkout. A connection found dead is
    # invalidated by SQLAlchemy (with the rest of the pool) on its first error.
    return create_async_engine(
        target,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        # Pinned whatever the server's default: ledger_append and the write path read what
        # the previous head holder committed, which READ COMMITTED guarantees after the lock.
        isolation_level="READ COMMITTED",
    )


def sqlite_pragmas(dbapi_connection: Any, _record: Any = None) -> None:
    """Every SQLite connection of the ledger, async or not, is set up alike."""
    # Take transaction control away from the driver so BEGIN is ours to emit.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is on disk when it returns, as on PostgreSQL with synchronous_commit.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.close()


def _sqlite_engine(url: URL, *, echo: bool, pool_size: int) -> AsyncEngine:
    engine = create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        connect_args={"timeout": 60},
    )

    event.listen(engine.sync_engine, "connect", sqlite_pragmas)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


@asynccontextmanager
async def snapshot(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A read-only transaction that sees one moment of the database from its first read on.

    PostgreSQL: REPEATABLE READ. SQLite (WAL): a read transaction keeps its snapshot.
    """
    async with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="REPEATABLE READ")
        async with conn.begin():
            yield conn


@asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A transaction that will write: committed on normal exit, rolled back on an exception.

    SQLite: BEGIN IMMEDIATE, which waits for the write lock (the busy timeout) before the
    first read. A deferred transaction that reads and then writes cannot wait: when another
    process committed since its read, SQLite refuses the write at once ("database is locked"),
    whatever the busy timeout, since waiting could not make its snapshot current again.
    """
    async with engine.connect() as conn:
        if is_sqlite(engine):
            await conn.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
        async with conn.begin():
            yield conn
