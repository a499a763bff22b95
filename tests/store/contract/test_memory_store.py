"""The contract suite on the in-memory store."""

from __future__ import annotations

import json

import pytest

from ledger.store.event_store import EventStore
from ledger.store.memory import MemoryEventStore
from tests.store.contract import EventStoreContract
from tests.store.contract.appends import EDITOR, retracted
from tests.store.contract.harness import MemoryHarness


class TestMemoryEventStore(EventStoreContract):
    @pytest.fixture
    def harness(self) -> MemoryHarness:
        store = MemoryEventStore()
        _typed: EventStore = store  # the memory store is an EventStore, to the type checker too
        return MemoryHarness(store)


# The contract's "as the backend verifies it" checks recompute the chain over the memory
# store's committed rows: a tampered row must be seen, as ``verify_chain`` sees a table's.


async def committed_ledger() -> MemoryHarness:
    harness = MemoryHarness(MemoryEventStore())
    await harness.store.append("article:a1", 0, [retracted("x"), retracted("y")], actor=EDITOR)
    await harness.store.append("article:b2", 0, [retracted("z")], actor=EDITOR)
    assert await harness.stored_chain_holds()
    return harness


async def test_a_memory_record_with_a_rewritten_payload_breaks_the_stored_chain() -> None:
    harness = await committed_ledger()
    rows = harness.store._ledger.rows
    payload = json.loads(rows[1].payload)
    rows[1] = rows[1]._replace(payload=json.dumps({**payload, "reason": "rewritten"}))

    assert not await harness.stored_chain_holds()


async def test_a_memory_record_moved_to_another_stream_breaks_the_stored_chain() -> None:
    harness = await committed_ledger()
    rows = harness.store._ledger.rows
    rows[0] = rows[0]._replace(stream_id="article:b2")

    assert not await harness.stored_chain_holds()


async def test_a_memory_ledger_missing_its_last_record_breaks_the_stored_chain() -> None:
    harness = await committed_ledger()
    harness.store._ledger.rows.pop()

    assert not await harness.stored_chain_holds()
