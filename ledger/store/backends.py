"""The store's backends by dialect name: how each database makes engines, begins write and
snapshot transactions, serialises migrations and appends.

Everything the store does its own way lives in its modules (``ledger.store.sqlite``,
``ledger.store.postgres``); the rest of the store asks this table for it. The layers above
keep tables of their own for what they do differently: ``ledger.projections.backends``
(bulk writers, the search index), ``ledger.replay.backends`` (windows, claims, the swap) and
``ledger.read.backends`` (search hits, the topic key in SQL).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import Connection
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ledger.store import postgres, sqlite
from ledger.store.prepare import PreparedAppend
from ledger.store.records import AppendResult
from ledger.store.sqlite_writer import sqlite_appender

__all__ = ["Appender", "Backend", "backend_named", "backend_of"]

Appender = Callable[[PreparedAppend], Awaitable[AppendResult]]
OnConnection = Callable[[AsyncConnection], Awaitable[None]]


@dataclass(frozen=True)
class Backend:
    name: str
    create_engine: Callable[..., AsyncEngine]  # (url, *, echo, pool_size)
    # Run on a connection before its write transaction begins.
    before_write: OnConnection
    # Run on a connection before its read-only snapshot transaction begins.
    before_snapshot: OnConnection
    # Run first in a migration's transaction, so migrations started at once run in turn.
    serialise_migrations: OnConnection
    # The append on a connection in a write transaction (sync, run through ``run_sync``).
    write_append: Callable[[Connection, PreparedAppend], AppendResult]
    # How an append made alone is written, given the store's in-a-transaction way.
    appender: Callable[[AsyncEngine, Appender], Appender]
    # The engine (the same pool) running each statement alone, without BEGIN and COMMIT:
    # for a single-statement read, which sees one snapshot by itself.
    statements_alone: Callable[[AsyncEngine], AsyncEngine]
    # One writer at a time (SQLite): this process's write transactions queue in arrival
    # order rather than in the database's busy handler, which sleeps and polls.
    one_writer: bool


_BACKENDS = {
    "sqlite": Backend(
        name="sqlite",
        create_engine=sqlite.create_sqlite_engine,
        before_write=sqlite.begin_immediate,
        before_snapshot=sqlite.nothing_to_do,
        serialise_migrations=sqlite.nothing_to_do,
        write_append=sqlite.write_append_sync,
        appender=sqlite_appender,
        statements_alone=sqlite.statements_alone,
        one_writer=True,
    ),
    "postgresql": Backend(
        name="postgresql",
        create_engine=postgres.create_postgres_engine,
        before_write=postgres.read_committed,
        before_snapshot=postgres.repeatable_read,
        serialise_migrations=postgres.one_migration_at_a_time,
        write_append=postgres.write_append_sync,
        appender=postgres.postgres_appender,
        statements_alone=postgres.statements_alone,
        one_writer=False,
    ),
}


def backend_named(name: str) -> Backend:
    """The backend of a dialect or URL backend name (``sqlite``, ``postgresql``)."""
    try:
        return _BACKENDS[name]
    except KeyError:
        raise ValueError(f"unsupported database backend {name!r}") from None


def backend_of(bind: AsyncEngine | AsyncConnection | Connection | URL) -> Backend:
    """The backend of an engine, a connection, or a URL."""
    if isinstance(bind, URL):
        return backend_named(bind.get_backend_name())
    return backend_named(bind.dialect.name)
