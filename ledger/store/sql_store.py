"""The event store in a SQL database: one implementation, identical on SQLite and PostgreSQL.

What the two databases do differently comes from their backend (``ledger.store.backends``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, nullcontext
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ledger.domain.events import REGISTRY, EventRegistry
from ledger.store.append import write_append
from ledger.store.backends import backend_of
from ledger.store.codec import decode_row
from ledger.store.db import committed, found_ended, read_on_a_live_connection
from ledger.store.event_store import READ_PAGE, Head, LedgerTransaction, TransactionLost
from ledger.store.prepare import PreparedAppend, prepare_append
from ledger.store.records import Actor, AppendResult, NewEvent, RecordedEvent
from ledger.store.sealing import replay_of
from ledger.store.tables import HEAD_ID, appends, events, ledger_head

__all__ = [
    "CommitListener",
    "SQLEventStore",
    "SQLTransaction",
    "connection_of",
    "log_query",
    "stream_query",
]

CommitListener = Callable[[Sequence[AppendResult]], None]
"""Told of the appends of each transaction this store committed, right after the commit."""


def stream_query(
    stream_id: str, *, to_version: int | None = None, as_of: datetime | None = None
) -> Select[Any]:
    query = select(events).where(events.c.stream_id == stream_id)
    if to_version is not None:
        query = query.where(events.c.stream_version <= to_version)
    if as_of is not None:
        query = query.where(events.c.recorded_at <= as_of)
    return query.order_by(events.c.stream_version)


def log_query(after: int, limit: int) -> Select[Any]:
    return select(events).where(events.c.position > after).order_by(events.c.position).limit(limit)


class SQLTransaction:
    """A write transaction: appends, and the caller's own statements on ``connection``."""

    def __init__(self, store: SQLEventStore, connection: AsyncConnection) -> None:
        self._store = store
        self.connection = connection
        self.appended: list[AppendResult] = []

    async def append(
        self,
        stream_id: str,
        expected_version: int | None,
        new_events: Sequence[NewEvent],
        *,
        actor: Actor,
        idempotency_key: str | None = None,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        fingerprint: str | None = None,
    ) -> AppendResult:
        """See ``ledger.store.event_store.LedgerTransaction.append``."""
        prepared = self._store.prepare(
            stream_id,
            expected_version,
            new_events,
            actor=actor,
            idempotency_key=idempotency_key,
            correlation_id=correlation_id,
            causation_id=causation_id,
            fingerprint=fingerprint,
        )
        result = await write_append(self.connection, prepared)
        self.appended.append(result)
        return result

    async def read_stream(self, stream_id: str) -> list[RecordedEvent]:
        """The stream as this transaction sees it (consistent with what it will append)."""
        rows = (await self.connection.execute(stream_query(stream_id))).all()
        return [self._store.decode(row) for row in rows]

    async def read_all(self, after: int = 0, limit: int = READ_PAGE) -> list[RecordedEvent]:
        rows = (await self.connection.execute(log_query(after, limit))).all()
        return [self._store.decode(row) for row in rows]


def connection_of(tx: LedgerTransaction) -> AsyncConnection:
    """The connection of a SQL store's transaction, for views that write beside its appends.
    Views are made for one store (``ledger.use_cases.sql_views.sql_ledger`` pairs them), so
    another store's transaction here is a wiring mistake, said at once."""
    if not isinstance(tx, SQLTransaction):
        raise TypeError(f"a SQL store's transaction was expected, not {type(tx).__name__}")
    return tx.connection


class SQLEventStore:
    """The ``EventStore`` on a SQLAlchemy engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: AsyncEngine, registry: EventRegistry = REGISTRY) -> None:
        self.engine = engine
        self.registry = registry
        self._backend = backend_of(engine)
        # SQLite has one writer per file. This process's write transactions queue here in
        # arrival order, rather than in SQLite's busy handler (which sleeps and polls);
        # appends made alone queue on the writer thread. The two queues meet only at SQLite's
        # write lock, where the busy handler decides.
        self._writer_queue = asyncio.Lock() if self._backend.one_writer else None
        self._append_alone = self._backend.appender(engine, self._append_in_transaction)
        self._commit_listeners: list[CommitListener] = []

    def on_commit(self, listener: CommitListener) -> None:
        """Tell ``listener`` of every append this store commits, as soon as it is committed
        (so this process knows its own writes before any notification or read)."""
        self._commit_listeners.append(listener)

    def _committed(self, results: Sequence[AppendResult]) -> None:
        for listener in self._commit_listeners:
            listener(results)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SQLTransaction]:
        """A write transaction; commits on normal exit, rolls back on any exception."""
        async with self._writer_queue or nullcontext(), self.engine.connect() as conn:
            await self._backend.before_write(conn)
            async with committed(conn):
                tx = SQLTransaction(self, conn)
                try:
                    yield tx
                except DBAPIError as error:
                    # Before the commit: the session's end took the transaction with it.
                    if found_ended(error):
                        raise TransactionLost() from error
                    raise
            if tx.appended:
                self._committed(tx.appended)

    async def append(
        self,
        stream_id: str,
        expected_version: int | None,
        new_events: Sequence[NewEvent],
        *,
        actor: Actor,
        idempotency_key: str | None = None,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> AppendResult:
        """Append in a transaction of its own (see ``LedgerTransaction.append``).

        Not from inside this store's ``transaction()``: that holds the write lock the append
        would wait for. Use the transaction's own ``append`` there.
        """
        prepared = self.prepare(
            stream_id,
            expected_version,
            new_events,
            actor=actor,
            idempotency_key=idempotency_key,
            correlation_id=correlation_id,
            causation_id=causation_id,
        )
        result = await self._append_alone(prepared)
        self._committed((result,))
        return result

    async def _append_in_transaction(self, prepared: PreparedAppend) -> AppendResult:
        async with self.transaction() as tx:
            return await write_append(tx.connection, prepared)

    def prepare(
        self,
        stream_id: str,
        expected_version: int | None,
        new_events: Sequence[NewEvent],
        *,
        actor: Actor,
        idempotency_key: str | None,
        correlation_id: str | None,
        causation_id: str | None,
        fingerprint: str | None = None,
    ) -> PreparedAppend:
        """Everything about an append that needs no database: refusals come from here."""
        return prepare_append(
            self.registry,
            stream_id,
            expected_version,
            new_events,
            actor=actor,
            idempotency_key=idempotency_key,
            correlation_id=correlation_id or str(uuid.uuid4()),
            causation_id=causation_id,
            fingerprint=fingerprint,
        )

    async def find_append(
        self, idempotency_key: str, fingerprint: str | None = None, *, actor: Actor
    ) -> AppendResult | None:
        """The append ``actor`` already made under this key, if any (a cheap check before
        deciding). Keys are per actor: another actor's use of the same key is not found.

        With a ``fingerprint``, a key first used for another request is refused.
        """
        found = select(appends).where(
            appends.c.actor_id == actor.id, appends.c.idempotency_key == idempotency_key
        )

        async def read(conn: AsyncConnection) -> Row[Any] | None:
            return (await conn.execute(found)).one_or_none()

        # Often a request's first statement: the one to meet a connection ended meanwhile.
        row = await read_on_a_live_connection(self.engine, read)
        return None if row is None else replay_of(row, idempotency_key, fingerprint)

    async def head(self) -> Head:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(ledger_head).where(ledger_head.c.id == HEAD_ID))).one()
        return Head(row.position, row.hash, row.recorded_at)

    async def stream_version(self, stream_id: str) -> int:
        async with self.engine.connect() as conn:
            version = await conn.scalar(
                select(func.coalesce(func.max(events.c.stream_version), 0)).where(
                    events.c.stream_id == stream_id
                )
            )
        return int(version or 0)

    async def read_stream(
        self,
        stream_id: str,
        *,
        to_version: int | None = None,
        as_of: datetime | None = None,
    ) -> list[RecordedEvent]:
        """A stream in version order; all of it, up to a version, or as it stood at a time."""
        return await self._fetch(stream_query(stream_id, to_version=to_version, as_of=as_of))

    async def read_all(self, after: int = 0, limit: int = READ_PAGE) -> list[RecordedEvent]:
        """One page of the global log: the events after position ``after``, in order."""
        return await self._fetch(log_query(after, limit))

    async def iter_all(self, after: int = 0, page: int = READ_PAGE) -> AsyncIterator[RecordedEvent]:
        while batch := await self.read_all(after, page):
            for event in batch:
                yield event
            after = batch[-1].position

    async def _fetch(self, query: Select[Any]) -> list[RecordedEvent]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [self.decode(row) for row in rows]

    def decode(self, row: Row[Any]) -> RecordedEvent:
        """A stored row as an event, upcast to its type's current shape."""
        return decode_row(self.registry, row)
