"""The databases tests get: migrated ones are at head and empty of events, each its own."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.store.migrate import current_revision, head_revision
from ledger.store.sql_store import SQLEventStore


async def test_a_migrated_test_database_is_at_the_head_revision(engine: AsyncEngine) -> None:
    assert await current_revision(engine) == head_revision()


async def test_a_migrated_test_database_starts_with_only_the_genesis_head(
    store: SQLEventStore,
) -> None:
    """Clones of the template carry nothing a test before them wrote."""
    assert await store.read_all() == []
    assert (await store.head()).position == 0
