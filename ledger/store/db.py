"""Engines from URLs, and the two kinds of transaction: a write, and a read-only snapshot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ledger.store.backends import backend_of

__all__ = [
    "DEFAULT_DATABASE_URL",
    "async_url",
    "create_engine",
    "snapshot",
    "statements_alone",
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


def create_engine(url: str | URL, *, echo: bool = False, pool_size: int = 10) -> AsyncEngine:
    target = async_url(url)
    return backend_of(target).create_engine(target, echo=echo, pool_size=pool_size)


def statements_alone(engine: AsyncEngine) -> AsyncEngine:
    """The engine (the same pool) running each statement alone, without BEGIN and COMMIT
    around it: for a read of one statement, which sees one snapshot by itself."""
    return backend_of(engine).statements_alone(engine)


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
    """A transaction that will write: committed on normal exit, rolled back on an exception.

    SQLite: BEGIN IMMEDIATE, which waits for the write lock before the first read (see
    ``ledger.store.sqlite.begin_immediate``).
    """
    async with engine.connect() as conn:
        await backend_of(engine).before_write(conn)
        async with conn.begin():
            yield conn
