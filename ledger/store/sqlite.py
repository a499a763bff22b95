"""Everything SQLite does its own way: the engine and its pragmas, how transactions begin, and
the append written in Python (SQLite runs no functions of ours).

The write path's order matters: the caller's work and all validation come first; the write
lock is taken by BEGIN IMMEDIATE, and only under it are the stream version and idempotency
key checked, because only then is "nobody else can append now" true. Positions are taken from
the head, so they are dense, and the lock is held to commit, so they become visible in order.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, bindparam, event, func, insert, select, true, update
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import PoolResetState

from ledger.store.event_store import Head
from ledger.store.prepare import PreparedAppend
from ledger.store.records import AppendResult, RecordedEvent
from ledger.store.sealing import decide_append
from ledger.store.tables import HEAD_ID, appends, events, ledger_head

if TYPE_CHECKING:
    from ledger.store.sqlite_writer import RawSQLite

__all__ = [
    "SQLITE_BEGIN",
    "begin_immediate",
    "create_sqlite_engine",
    "database_file",
    "sqlite_pragmas",
    "statements_alone",
    "write_append_sync",
]


# Execution option read when a transaction begins on SQLite: writers ask for IMMEDIATE so the
# write lock is taken at BEGIN (a deferred reader upgrading to writer can fail at once with
# SQLITE_BUSY instead of waiting), readers keep DEFERRED and never block under WAL.
SQLITE_BEGIN = "ledger_sqlite_begin"
# Its value for no BEGIN at all (``statements_alone``).
STATEMENTS_ALONE = "ALONE"
# How long any connection waits for another's lock before "database is locked".
BUSY_TIMEOUT_MS = 60_000


def database_file(engine: AsyncEngine) -> str | None:
    """The file of a plain ``sqlite:///path`` URL, which the writer can open itself; None
    for an in-memory database or a URL with driver options (appends then stay on the
    engine's own connections)."""
    url = engine.url
    if not url.database or url.database == ":memory:" or url.query:
        return None
    return url.database


def sqlite_pragmas(dbapi_connection: Any, _record: Any = None) -> None:
    """Every SQLite connection of the ledger, async or not, is set up alike."""
    # Take transaction control away from the driver so BEGIN is ours to emit.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # First, so that every wait below (and every lock after) is this long.
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    _into_wal(cursor)
    # FULL: a commit is on disk when it returns, as on PostgreSQL with synchronous_commit.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _into_wal(cursor: Any) -> None:
    """WAL journaling, waiting for another connection that is turning a new file into WAL.

    The change reads the file's header and then writes it in one transaction, and SQLite
    refuses that upgrade at once ("database is locked") when another connection took the
    write lock in between: the busy timeout is never consulted. Two processes that open a
    new database at the same moment (two ``migrate`` commands, say) race there; the loser
    tries again, and finds the file in WAL already, which changes nothing. The wait is a few
    milliseconds, once in a file's life.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = 0.001
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as refused:
            if refused.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def create_sqlite_engine(url: URL, *, echo: bool, pool_size: int) -> AsyncEngine:
    engine = create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000},
        # The pool's own reset rolls back every connection it takes back; ``_reset`` below
        # does so only where a transaction is open.
        pool_reset_on_return=None,
    )

    event.listen(engine.sync_engine, "connect", sqlite_pragmas)
    event.listen(engine.sync_engine, "reset", _reset)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
        if mode != STATEMENTS_ALONE:
            connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _reset(dbapi_connection: Any, _record: Any, state: PoolResetState) -> None:
    """A connection back in the pool is left in no transaction. SQLite says whether one is
    open without a trip to the driver's thread; a rollback is such a trip even with nothing
    to undo, and most connections come back with none (a single read in autocommit mode, a
    transaction already ended)."""
    if state.asyncio_safe and dbapi_connection.driver_connection.in_transaction:
        dbapi_connection.rollback()


def statements_alone(engine: AsyncEngine) -> AsyncEngine:
    """The engine (the same pool) with no BEGIN emitted: each statement is its own
    transaction, as the driver runs it. Not SQLAlchemy's AUTOCOMMIT, whose reset when the
    connection goes back to the pool gives the driver back its own transaction control."""
    return engine.execution_options(**{SQLITE_BEGIN: STATEMENTS_ALONE})


async def begin_immediate(conn: AsyncConnection) -> None:
    """Before a write transaction begins: BEGIN IMMEDIATE, which waits for the write lock (the
    busy timeout) before the first read. A deferred transaction that reads and then writes
    cannot wait: when another process committed since its read, SQLite refuses the write at
    once ("database is locked"), whatever the busy timeout, since waiting could not make its
    snapshot current again."""
    await conn.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})


async def nothing_to_do(conn: AsyncConnection) -> None:
    """A snapshot needs nothing more (a WAL read transaction keeps its snapshot), nor do
    migrations (BEGIN IMMEDIATE already runs them one after the other)."""


# Statements are built once, so SQLAlchemy compiles each once: nothing is compiled while
# the write lock is held.
_VERSION = (
    select(func.coalesce(func.max(events.c.stream_version), 0).label("version"))
    .where(events.c.stream_id == bindparam("stream_id"))
    .subquery()
)
# The stream's version, and the append this actor already made under this key (if any).
_STATE = (
    select(_VERSION.c.version, appends)
    .select_from(
        _VERSION.outerjoin(
            appends,
            and_(
                appends.c.actor_id == bindparam("actor_id"),
                appends.c.idempotency_key == bindparam("key"),
            ),
        )
    )
    .subquery()
)
# BEGIN IMMEDIATE already holds the write lock, so the head and the state can be read in one
# statement. (Not on PostgreSQL: a statement that waited for the head's row lock still reads
# the rest from its snapshot taken before the wait.)
_HEAD_AND_STATE = (
    select(
        ledger_head.c.position.label("head_position"),
        ledger_head.c.hash.label("head_hash"),
        ledger_head.c.recorded_at.label("head_recorded_at"),
        _STATE,
    )
    .select_from(ledger_head.join(_STATE, true()))  # one row joined to one row
    .where(ledger_head.c.id == HEAD_ID)
)
_INSERT_EVENTS = insert(events)
_INSERT_APPEND = insert(appends)
_MOVE_HEAD = (
    update(ledger_head)
    .where(ledger_head.c.id == HEAD_ID)
    .values(
        position=bindparam("head_position"),
        hash=bindparam("head_hash"),
        recorded_at=bindparam("head_recorded_at"),
    )
)


def write_append_sync(conn: Connection | RawSQLite, prepared: PreparedAppend) -> AppendResult:
    """The append, on a connection in a write transaction (sync: the writer thread calls it
    directly on its own connection, asyncio callers through ``Connection.run_sync``)."""
    params = {
        "stream_id": prepared.stream_id,
        "actor_id": prepared.actor.id,
        "key": prepared.idempotency_key,
    }
    state = conn.execute(_HEAD_AND_STATE, params).one()
    result = decide_append(
        prepared,
        head=Head(state.head_position, state.head_hash, state.head_recorded_at),
        stream_version=state.version,
        keyed=state if state.idempotency_key is not None else None,
        now=datetime.now(UTC),
    )
    if not result.replayed:
        _write(conn, prepared, result.events)
    return result


def _write(
    conn: Connection | RawSQLite, prepared: PreparedAppend, recorded: Sequence[RecordedEvent]
) -> None:
    conn.execute(
        _INSERT_EVENTS,
        [
            _event_row(event, source.payload_json)
            for event, source in zip(recorded, prepared.events, strict=True)
        ],
    )
    first, last = recorded[0], recorded[-1]
    if prepared.idempotency_key is not None:
        conn.execute(
            _INSERT_APPEND,
            [
                {
                    "actor_id": prepared.actor.id,
                    "idempotency_key": prepared.idempotency_key,
                    "fingerprint": prepared.fingerprint,
                    "stream_id": prepared.stream_id,
                    "first_position": first.position,
                    "last_position": last.position,
                    "first_version": first.stream_version,
                    "last_version": last.stream_version,
                    "recorded_at": last.metadata.recorded_at,
                }
            ],
        )
    conn.execute(
        _MOVE_HEAD,
        {
            "head_position": last.position,
            "head_hash": last.hash,
            "head_recorded_at": last.metadata.recorded_at,
        },
    )


def _event_row(event: RecordedEvent, payload_json: str) -> dict[str, Any]:
    return {
        "position": event.position,
        "stream_id": event.stream_id,
        "stream_version": event.stream_version,
        "event_type": event.type,
        "schema_version": event.schema_version,
        "payload": payload_json,
        "recorded_at": event.metadata.recorded_at,
        "actor_id": event.metadata.actor.id,
        "actor_role": event.metadata.actor.role,
        "idempotency_key": event.metadata.idempotency_key,
        "correlation_id": event.metadata.correlation_id,
        "causation_id": event.metadata.causation_id,
        "hash": event.hash,
    }
