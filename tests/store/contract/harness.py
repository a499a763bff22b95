"""What the contract suite needs of a store under test, for each kind of store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol, cast

from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.audit.chain import row_bytes, verify_chain
from ledger.domain.events import EventRegistry
from ledger.store.canonical import GENESIS_HASH, canonical_bytes, canonical_json, chain_hash
from ledger.store.event_store import EventStore
from ledger.store.memory import MemoryEventStore
from ledger.store.records import RecordedEvent
from ledger.store.sealing import metadata_document
from ledger.store.sql_store import SQLEventStore
from tests.store.writers import separate_stores


class Harness(Protocol):
    store: EventStore

    def store_with(self, registry: EventRegistry) -> EventStore:
        """Another store on the same events, reading and writing with ``registry``."""
        ...

    def writers(self, count: int) -> AbstractAsyncContextManager[list[EventStore]]:
        """``count`` stores on the same events that write independently of each other."""
        ...

    async def stored_chain_holds(self) -> bool:
        """The backend's own verification of what it stores (the records' chain aside)."""
        ...


@dataclass
class SQLHarness:
    url: str
    engine: AsyncEngine
    store: SQLEventStore

    def store_with(self, registry: EventRegistry) -> EventStore:
        return SQLEventStore(self.engine, registry)

    @asynccontextmanager
    async def writers(self, count: int) -> AsyncIterator[list[EventStore]]:
        # An engine (so a connection) each: the database alone arbitrates between them.
        async with separate_stores(self.url, count) as stores:
            yield list(stores)

    async def stored_chain_holds(self) -> bool:
        return (await verify_chain(self.engine)).ok


@dataclass
class MemoryHarness:
    store: MemoryEventStore

    def store_with(self, registry: EventRegistry) -> EventStore:
        return MemoryEventStore(registry, sharing=self.store)

    @asynccontextmanager
    async def writers(self, count: int) -> AsyncIterator[list[EventStore]]:
        # Tasks of one event loop, each with a store of its own on the same events.
        yield [MemoryEventStore(self.store.registry, sharing=self.store) for _ in range(count)]

    async def stored_chain_holds(self) -> bool:
        # What ``verify_chain`` does over a table, over the rows this store committed (the
        # payload text and schema version as they were written, not as they read back).
        ledger = self.store._ledger
        previous = GENESIS_HASH
        for expected, row in enumerate(ledger.rows, start=1):
            if row.position != expected:
                return False
            try:
                recomputed = chain_hash(previous, row_bytes(cast(Any, row)))
            except (ValueError, TypeError):
                return False
            if recomputed != row.hash:
                return False
            previous = row.hash
        return (ledger.head.position, ledger.head.hash) == (len(ledger.rows), previous)


def record_bytes(event: RecordedEvent) -> bytes:
    """The canonical bytes of a recorded event, as it was hashed (for an event read in the
    shape it was stored in: an upcast payload is not what was hashed)."""
    return canonical_bytes(
        position=event.position,
        stream_id=event.stream_id,
        stream_version=event.stream_version,
        event_type=event.type,
        schema_version=event.schema_version,
        payload_json=canonical_json(event.payload),
        metadata=metadata_document(event.metadata),
    )


def first_broken(records: list[RecordedEvent]) -> int | None:
    """Recompute the chain over records read back (in their stored shape): the first
    position whose hash does not follow from the one before, or None when all hold."""
    previous = GENESIS_HASH
    for expected, event in enumerate(records, start=1):
        if event.position != expected or event.hash != chain_hash(previous, record_bytes(event)):
            return expected
        previous = event.hash
    return None
