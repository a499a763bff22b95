"""The contract suite on the in-memory store."""

from __future__ import annotations

import pytest

from ledger.store.event_store import EventStore
from ledger.store.memory import MemoryEventStore
from tests.store.contract import EventStoreContract
from tests.store.contract.harness import MemoryHarness


class TestMemoryEventStore(EventStoreContract):
    @pytest.fixture
    def harness(self) -> MemoryHarness:
        store = MemoryEventStore()
        _typed: EventStore = store  # the memory store is an EventStore, to the type checker too
        return MemoryHarness(store)
