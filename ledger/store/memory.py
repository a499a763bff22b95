"""The event store in this process's memory: the same promises as the SQL store, no database.

For tests and tools that need an event store and not its storage: positions dense and in
commit order, expected versions, idempotency keys per actor, the hash chain over the same
canonical bytes (``ledger.store.sealing``), reads decoded by the same codec. Writers take
turns on one lock, as on SQLite; a transaction's appends are kept aside until it commits, so
nobody reads them before, and none of them after a rollback.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

from ledger.domain.events import REGISTRY, EventRegistry
from ledger.store.canonical import GENESIS_HASH
from ledger.store.codec import decode_row
from ledger.store.event_store import READ_PAGE, Head
from ledger.store.prepare import PreparedAppend, prepare_append
from ledger.store.records import Actor, AppendResult, NewEvent, RecordedEvent
from ledger.store.sealing import decide_append, replay_of

__all__ = ["KeptAppend", "MemoryEventStore", "MemoryTransaction"]


class _Row(NamedTuple):
    """An event as stored: the ``events`` table's columns, so the codec decodes it."""

    position: int
    stream_id: str
    stream_version: int
    event_type: str
    schema_version: int
    payload: str
    recorded_at: datetime
    actor_id: str
    actor_role: str
    idempotency_key: str | None
    correlation_id: str
    causation_id: str | None
    hash: str


class KeptAppend(NamedTuple):
    """An append made under an idempotency key, as this store keeps it (a ``KeyedAppend``):
    what a retry under the key is told, the ``appends`` table's columns."""

    fingerprint: str
    stream_id: str
    first_position: int
    last_position: int
    first_version: int
    last_version: int
    recorded_at: datetime


@dataclass
class _Ledger:
    rows: list[_Row] = field(default_factory=list)  # rows[n] is at position n + 1
    streams: dict[str, list[_Row]] = field(default_factory=dict)  # each in version order
    keys: dict[tuple[str, str], KeptAppend] = field(default_factory=dict)
    head: Head = field(default_factory=lambda: Head(0, GENESIS_HASH, None))


class MemoryTransaction:
    """A write transaction on the memory store: appends kept aside until it commits."""

    def __init__(self, store: MemoryEventStore) -> None:
        self._store = store
        self._committed = store._ledger
        self.pending = _Ledger(head=self._committed.head)

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
        prepared = prepare_append(
            self._store.registry,
            stream_id,
            expected_version,
            new_events,
            actor=actor,
            idempotency_key=idempotency_key,
            correlation_id=correlation_id or str(uuid.uuid4()),
            causation_id=causation_id,
            fingerprint=fingerprint,
        )
        return self._write(prepared)

    def _write(self, prepared: PreparedAppend) -> AppendResult:
        key = prepared.idempotency_key
        result = decide_append(
            prepared,
            head=self.pending.head,
            stream_version=self._version(prepared.stream_id),
            keyed=None if key is None else self._keyed(prepared.actor.id, key),
            now=datetime.now(UTC),
        )
        if not result.replayed:
            self._keep(prepared, result.events)
        return result

    def _keep(self, prepared: PreparedAppend, recorded: Sequence[RecordedEvent]) -> None:
        pending = self.pending
        for event, source in zip(recorded, prepared.events, strict=True):
            row = _row(event, source.payload_json)
            pending.rows.append(row)
            pending.streams.setdefault(row.stream_id, []).append(row)
        first, last = recorded[0], recorded[-1]
        if prepared.idempotency_key is not None:
            pending.keys[(prepared.actor.id, prepared.idempotency_key)] = KeptAppend(
                prepared.fingerprint,
                prepared.stream_id,
                first.position,
                last.position,
                first.stream_version,
                last.stream_version,
                last.metadata.recorded_at,
            )
        pending.head = Head(last.position, last.hash, last.metadata.recorded_at)

    def _keyed(self, actor_id: str, key: str) -> KeptAppend | None:
        found = self.pending.keys.get((actor_id, key))
        return found if found is not None else self._committed.keys.get((actor_id, key))

    def _version(self, stream_id: str) -> int:
        rows = self.pending.streams.get(stream_id) or self._committed.streams.get(stream_id)
        return rows[-1].stream_version if rows else 0

    async def read_stream(self, stream_id: str) -> list[RecordedEvent]:
        """The stream as this transaction sees it (consistent with what it will append)."""
        committed = self._committed.streams.get(stream_id, [])
        return self._store._decode(committed + self.pending.streams.get(stream_id, []))

    async def read_all(self, after: int = 0, limit: int = READ_PAGE) -> list[RecordedEvent]:
        rows = self._committed.rows + self.pending.rows
        return self._store._decode(rows[max(after, 0) : max(after, 0) + max(limit, 0)])

    def commit(self) -> None:
        committed, pending = self._committed, self.pending
        committed.rows.extend(pending.rows)
        for stream_id, rows in pending.streams.items():
            committed.streams.setdefault(stream_id, []).extend(rows)
        committed.keys.update(pending.keys)
        committed.head = pending.head


class MemoryEventStore:
    """The ``EventStore`` in memory (asyncio-safe: one writer at a time, on a lock)."""

    def __init__(
        self, registry: EventRegistry = REGISTRY, *, sharing: MemoryEventStore | None = None
    ) -> None:
        """A new, empty ledger; or, ``sharing`` another store's, the same events read and
        written with ``registry`` (as two SQL stores on one database)."""
        self.registry = registry
        self._ledger: _Ledger = _Ledger() if sharing is None else sharing._ledger
        self._writer: asyncio.Lock = asyncio.Lock() if sharing is None else sharing._writer

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[MemoryTransaction]:
        """A write transaction; commits on normal exit, rolls back on any exception."""
        async with self._writer:
            tx = MemoryTransaction(self)
            yield tx
            tx.commit()

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
        """Append in a transaction of its own (see ``LedgerTransaction.append``)."""
        async with self.transaction() as tx:
            return await tx.append(
                stream_id,
                expected_version,
                new_events,
                actor=actor,
                idempotency_key=idempotency_key,
                correlation_id=correlation_id,
                causation_id=causation_id,
            )

    async def find_append(
        self, idempotency_key: str, fingerprint: str | None = None, *, actor: Actor
    ) -> AppendResult | None:
        done = self._ledger.keys.get((actor.id, idempotency_key))
        return None if done is None else replay_of(done, idempotency_key, fingerprint)

    async def head(self) -> Head:
        return self._ledger.head

    async def stream_version(self, stream_id: str) -> int:
        rows = self._ledger.streams.get(stream_id)
        return rows[-1].stream_version if rows else 0

    async def read_stream(
        self,
        stream_id: str,
        *,
        to_version: int | None = None,
        as_of: datetime | None = None,
    ) -> list[RecordedEvent]:
        """A stream in version order; all of it, up to a version, or as it stood at a time."""
        if as_of is not None and as_of.tzinfo is None:
            raise ValueError("naive datetimes are refused: pass a timezone-aware UTC time")
        return self._decode(
            row
            for row in self._ledger.streams.get(stream_id, [])
            if (to_version is None or row.stream_version <= to_version)
            and (as_of is None or row.recorded_at <= as_of)
        )

    async def read_all(self, after: int = 0, limit: int = READ_PAGE) -> list[RecordedEvent]:
        """One page of the global log: the events after position ``after``, in order."""
        start = max(after, 0)
        return self._decode(self._ledger.rows[start : start + max(limit, 0)])

    async def iter_all(self, after: int = 0, page: int = READ_PAGE) -> AsyncIterator[RecordedEvent]:
        while batch := await self.read_all(after, page):
            for event in batch:
                yield event
            after = batch[-1].position

    def _decode(self, rows: Iterable[_Row]) -> list[RecordedEvent]:
        return [decode_row(self.registry, row) for row in rows]


def _row(event: RecordedEvent, payload_json: str) -> _Row:
    metadata = event.metadata
    return _Row(
        position=event.position,
        stream_id=event.stream_id,
        stream_version=event.stream_version,
        event_type=event.type,
        schema_version=event.schema_version,
        payload=payload_json,
        recorded_at=metadata.recorded_at,
        actor_id=metadata.actor.id,
        actor_role=metadata.actor.role,
        idempotency_key=metadata.idempotency_key,
        correlation_id=metadata.correlation_id,
        causation_id=metadata.causation_id,
        hash=event.hash,
    )
