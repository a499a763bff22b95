"""The event store as its callers see it: one protocol, whatever keeps the events.

``SQLEventStore`` (``ledger.store.sql_store``) keeps them in SQLite or PostgreSQL,
``MemoryEventStore`` (``ledger.store.memory``) in this process; both pass the same contract
suite (``tests/store/contract``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ledger.domain.events import EventRegistry
from ledger.store.records import Actor, AppendResult, NewEvent, RecordedEvent

__all__ = [
    "READ_PAGE",
    "CommitUnknown",
    "EventLog",
    "EventStore",
    "Head",
    "LedgerTransaction",
    "TransactionLost",
]

READ_PAGE = 1000


class TransactionLost(Exception):
    """A write transaction's connection was found ended before its commit was asked for (the
    server restarted, or an administrator ended the session). The database rolled it back
    with the session, so nothing of it was written: it may be run again from the start."""

    def __init__(self) -> None:
        super().__init__(
            "the connection to the database ended before the transaction's commit: "
            "nothing of it was written"
        )


class CommitUnknown(Exception):
    """A write transaction's connection ended while its commit was under way: the database
    may have committed it (and its answer was lost) or not. Run again, it may be written
    twice, unless its idempotency key finds the first: only a keyed write is run again."""

    def __init__(self) -> None:
        super().__init__(
            "the connection to the database ended during the transaction's commit: "
            "whether it was written is unknown"
        )


@dataclass(frozen=True)
class Head:
    """The last event's position and hash (0 and the genesis hash for an empty ledger)."""

    position: int
    hash: str
    recorded_at: datetime | None


class EventLog(Protocol):
    """The global log read a page at a time: all a projection catching up needs, from a
    store or from inside a transaction."""

    async def read_all(self, after: int = 0, limit: int = READ_PAGE) -> list[RecordedEvent]:
        """One page of the log: the events after position ``after``, in order."""
        ...


class LedgerTransaction(EventLog, Protocol):
    """A write transaction: its appends are stored together at its end, or none of them."""

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
        """Append ``new_events`` to ``stream_id`` if it is at ``expected_version``.

        ``expected_version`` 0 means the stream must be new; None skips the check. A key
        the same actor already used for the same request returns the first answer, with
        ``replayed`` set and nothing written; the caller then rolls back its own work. Keys
        are per actor: another actor's key of the same text is unrelated. "The same request"
        is the same stream and events, or, when given, the same ``fingerprint`` (a use case
        passes one of its command, since a retry may decide other events on newer state).
        """
        ...

    async def read_stream(self, stream_id: str) -> list[RecordedEvent]:
        """The stream as this transaction sees it (consistent with what it will append)."""
        ...


class EventStore(EventLog, Protocol):
    """Streams of events in one global log: dense commit-ordered positions, optimistic
    concurrency per stream, idempotency keys per actor, and a hash chain."""

    @property
    def registry(self) -> EventRegistry:
        """The event types this store appends and reads, with their upcasters."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[LedgerTransaction]:
        """A write transaction; commits on normal exit, rolls back on any exception."""
        ...

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
        """Append in a transaction of its own (see ``LedgerTransaction.append``); not from
        inside this store's ``transaction()``, whose appends go through the transaction."""
        ...

    async def find_append(
        self, idempotency_key: str, fingerprint: str | None = None, *, actor: Actor
    ) -> AppendResult | None:
        """The append ``actor`` already made under this key, if any (a cheap check before
        deciding). With a ``fingerprint``, a key first used for another request is refused
        (``IdempotencyKeyReused``)."""
        ...

    async def head(self) -> Head: ...

    async def stream_version(self, stream_id: str) -> int:
        """The stream's last version; 0 for a stream with no events."""
        ...

    async def read_stream(
        self,
        stream_id: str,
        *,
        to_version: int | None = None,
        as_of: datetime | None = None,
    ) -> list[RecordedEvent]:
        """A stream in version order; all of it, up to a version, or as it stood at a time."""
        ...

    def iter_all(self, after: int = 0, page: int = READ_PAGE) -> AsyncIterator[RecordedEvent]:
        """The whole log after ``after``, read a page at a time."""
        ...
