"""The contract suite on a SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ledger.store.db import create_engine
from ledger.store.event_store import EventStore
from ledger.store.sql_store import SQLEventStore
from tests.store.contract import EventStoreContract
from tests.store.contract.harness import SQLHarness


class TestSQLiteEventStore(EventStoreContract):
    @pytest.fixture
    async def harness(self, migrated_sqlite_url: str) -> AsyncIterator[SQLHarness]:
        engine = create_engine(migrated_sqlite_url)
        store = SQLEventStore(engine)
        _typed: EventStore = store  # the SQL store is an EventStore, to the type checker too
        yield SQLHarness(migrated_sqlite_url, engine, store)
        await engine.dispose()
