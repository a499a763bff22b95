"""The contract suite on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ledger.store.db import create_engine
from ledger.store.sql_store import SQLEventStore
from tests.store.contract import EventStoreContract
from tests.store.contract.harness import SQLHarness


class TestPostgresEventStore(EventStoreContract):
    @pytest.fixture
    async def harness(self, migrated_postgresql_url: str) -> AsyncIterator[SQLHarness]:
        engine = create_engine(migrated_postgresql_url)
        yield SQLHarness(migrated_postgresql_url, engine, SQLEventStore(engine))
        await engine.dispose()
