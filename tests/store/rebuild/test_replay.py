"""A rebuild replays the log into fresh tables and swaps them in: the same views, the same
schema, its progress reported up to the head."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.projections.projector import checkpoint
from ledger.replay.rebuild import rebuild, verify_projections
from ledger.store.sql_store import SQLEventStore
from tests.store.ledgers import view_tables_dump
from tests.store.rebuild.history import PARTITIONS, all_views
from tests.store.test_migrations import compare


@pytest.mark.long(4)
@pytest.mark.parametrize("partitions", PARTITIONS)
async def test_a_rebuild_reproduces_the_views_it_replaces(
    store: SQLEventStore, engine: AsyncEngine, partitions: int
) -> None:
    views = await all_views(engine)
    tables = await view_tables_dump(engine)
    head = await store.head()

    report = await rebuild(store, partitions=partitions)

    assert (report.events, report.position) == (head.position, head.position)
    assert report.partitions == partitions, "the replay did not run in the partitions asked for"
    assert report.events_per_second > 0
    verified = await verify_projections(store, partitions=partitions)
    assert verified.ok, verified.mismatches
    assert verified.position == head.position
    assert await all_views(engine) == views
    assert await view_tables_dump(engine) == tables
    async with engine.connect() as conn:
        assert await checkpoint(conn) == head.position


@pytest.mark.parametrize("partitions", [1, 2])
async def test_a_rebuild_leaves_the_schema_the_migrations_made(
    store: SQLEventStore, engine: AsyncEngine, partitions: int
) -> None:
    """The swapped-in tables have every index and constraint of the models, under the live
    names (the fresh tables get their secondary indexes only after the replay)."""

    await rebuild(store, partitions=partitions)

    assert await compare(engine) == []


@pytest.mark.parametrize("partitions", PARTITIONS)
async def test_a_rebuild_reports_its_progress_up_to_the_head(
    store: SQLEventStore, partitions: int
) -> None:
    head = await store.head()
    advanced: list[int] = []

    await rebuild(store, progress=advanced.append, partitions=partitions)

    assert sum(advanced) == head.position
    assert all(step > 0 for step in advanced)
