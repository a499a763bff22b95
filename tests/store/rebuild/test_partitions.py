"""A replay split into partitions, one process each: who owns what, how many there are, and
the whole log replayed between them."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ledger.domain.events import REGISTRY, DomainEvent, EventRegistry
from ledger.projections.projector import Projector
from ledger.projections.tables import live_views
from ledger.replay import windows
from ledger.replay.fresh import fresh_views
from ledger.replay.pipeline import flush, replay_log
from ledger.replay.processes import MAX_PARTITIONS, PARALLEL_FROM, Partition, partition_count
from ledger.replay.rebuild import rebuild, verify_projections
from ledger.replay.verify import compare_tables
from ledger.replay.working_set import Replay
from ledger.store.records import NewEvent
from ledger.store.sql_store import SQLEventStore
from tests.store.ledgers import subscriber, view


@dataclass(frozen=True)
class ScriptedEvent(DomainEvent):
    type_name = "Scripted"
    note: str = ""


async def test_an_event_filed_in_another_articles_stream_is_replayed_in_one_process(
    store: SQLEventStore, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Appended past the use cases, a comment on a1 (odd) in a stream ending in 2 (even):
    the partition of its stream does not own its article, so the replay is made again in
    one process, and a1 gets its comment."""
    comment = {"comment_id": "misfiled-1", "article_id": "a1", "author_id": "s1", "body": "Here"}
    await store.append(
        "article:elsewhere2", 0, [NewEvent("CommentPosted", comment)], actor=subscriber("s1")
    )
    head = await store.head()
    advanced: list[int] = []
    # Small windows here, so this process has reported progress before it meets the event.
    monkeypatch.setattr(windows, "WINDOW", 8)

    report = await rebuild(store, partitions=2, progress=advanced.append)

    assert (report.position, report.partitions) == (head.position, 1)
    assert sum(advanced) == head.position, "the first attempt's progress was counted again"
    verified = await verify_projections(store, partitions=2)
    assert verified.ok, verified.mismatches
    a1 = await view(engine, "a1")
    assert a1 is not None
    assert "Here" in [c.body for c in a1.subscriber_comments]
    async with engine.connect() as conn:
        leftovers = await conn.run_sync(
            lambda sync: [n for n in inspect(sync).get_table_names() if "_replay_" in n]
        )
    assert leftovers == [], "a replay's fresh tables were left behind"


@pytest.mark.parametrize("partitions", [2, 3])
async def test_partitions_read_span_by_span_replay_the_whole_log_between_them(
    store: SQLEventStore, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, partitions: int
) -> None:
    """Each partition read in spans of a few positions, in this process: many spans hold
    none of a partition's events (the raters' enrolments, all partition 0's, come first),
    and every partition still reads on to the end; between them they fold each event once
    and write views equal to the live ones."""
    head = (await store.head()).position
    monkeypatch.setattr(windows, "WINDOW", 4)
    advanced: list[int] = []

    async with fresh_views(store) as fresh:
        for index in range(partitions):
            replay = Replay(Projector(fresh, store.registry), Partition(index, partitions))
            reached = await replay_log(store, replay, after=0, upto=head, progress=advanced.append)
            await flush(store, replay)
            assert reached == head
        async with engine.connect() as live, engine.connect() as replayed:
            mismatches = [
                mismatch
                for table, new in zip(live_views.folded(), fresh.folded(), strict=True)
                for mismatch in await compare_tables(live, table, replayed, new)
            ]

    assert sum(advanced) == head, "an event was folded twice, or not at all"
    assert len(advanced) >= head // 4, "the partitions did not read in spans"
    assert mismatches == []


async def test_how_many_partitions_a_replay_gets(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    cores = min(os.cpu_count() or 1, MAX_PARTITIONS)
    assert partition_count(engine, REGISTRY, PARALLEL_FROM - 1) == 1
    assert partition_count(engine, REGISTRY, PARALLEL_FROM) == cores
    assert partition_count(engine, REGISTRY, 10, requested=3) == 3
    with pytest.raises(ValueError, match="at least one partition"):
        partition_count(engine, REGISTRY, 10, requested=0)

    unpicklable = EventRegistry()
    unpicklable.register("Noted", lambda: None)  # type: ignore[arg-type]
    assert partition_count(engine, unpicklable, PARALLEL_FROM, requested=2) == 1
    # A worker starts without the caller's __main__, so an event type of a script's own
    # would not be found there: such a replay stays in one process.
    scripted = EventRegistry()
    scripted.register("Scripted", ScriptedEvent)
    monkeypatch.setattr(ScriptedEvent, "__module__", "__main__")
    monkeypatch.setattr(sys.modules["__main__"], "ScriptedEvent", ScriptedEvent, raising=False)
    assert partition_count(engine, scripted, PARALLEL_FROM, requested=2) == 1
    in_memory = create_async_engine("sqlite+aiosqlite://")
    try:
        assert partition_count(in_memory, REGISTRY, PARALLEL_FROM, requested=2) == 1
    finally:
        await in_memory.dispose()


def test_a_partition_owns_its_articles_by_their_last_character() -> None:
    halves = [Partition(0, 2), Partition(1, 2)]
    assert [p.owns("e7d05feceeac5a68") for p in halves] == [True, False]  # "8": 56
    assert [p.owns("a1") for p in halves] == [False, True]
    # Raters and disciplines (no article) are partition 0's.
    assert [p.owns(None) for p in halves] == [True, False]
    for article_id in ("a1", "a2", "x9", "e7d05feceeac5a6f"):
        assert sum(Partition(i, 3).owns(article_id) for i in range(3)) == 1
