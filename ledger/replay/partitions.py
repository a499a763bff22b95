"""A replay in partitions: the first in the calling process, the others each in a process
of its own (``ledger.replay.processes``), all into the same fresh tables."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.domain.events import EventRegistry
from ledger.projections.projector import Projector
from ledger.projections.tables import ViewTables
from ledger.replay.claims import claimed
from ledger.replay.fresh import fresh_tables
from ledger.replay.naming import suffix_of
from ledger.replay.pipeline import Progress, fewer_collections, flush, replay_log
from ledger.replay.processes import Partition, Shared, started_partitions, worker_url
from ledger.replay.working_set import Replay
from ledger.store.db import create_engine
from ledger.store.sql_store import SQLEventStore

__all__ = ["replay_partitioned"]


async def replay_partitioned(
    store: SQLEventStore, fresh: ViewTables, upto: int, count: int, progress: Progress | None
) -> Replay:
    """Replay the log up to ``upto`` in ``count`` partitions into ``fresh``. Returns this
    process's replay, everything written, ready to go on with the whole log."""
    url = worker_url(store.engine)
    assert url is not None, "partition_count gives 1 where no other process can follow"
    suffix = suffix_of(fresh)
    partitions = [Partition(index, count) for index in range(count)]

    def args_of(partition: Partition, shared: Shared) -> tuple[Any, ...]:
        return (url, store.registry, suffix, partition, upto, shared)

    replay = Replay(Projector(fresh, store.registry), partitions[0])
    async with started_partitions(_partition_main, args_of, partitions[1:], progress) as others:
        # Begun beside a starting worker, this replay took the core its start-up needed
        # and ended some two seconds before it (of a six-second rebuild of 100,000 events).
        await others.started()
        await replay_log(store, replay, after=0, upto=upto, progress=progress)
        await flush(store, replay)
        await others.wait()
    replay.partition = None  # from here on, any event of the log
    return replay


def _partition_main(
    url: str, registry: EventRegistry, suffix: str, partition: Partition, upto: int, shared: Shared
) -> int:
    """A replay process: ``partition`` of the log up to ``upto``, into the fresh tables of
    ``suffix``, saying when it is ready and adding its progress to ``shared``; returns the
    position reached."""
    return asyncio.run(_replay_partition(url, registry, suffix, partition, upto, shared))


async def _replay_partition(
    url: str, registry: EventRegistry, suffix: str, partition: Partition, upto: int, shared: Shared
) -> int:
    engine = create_engine(url, pool_size=2)
    try:
        # Claimed here too: the tables are not abandoned while a partition still writes
        # into them, even if the process that made them was killed.
        async with claimed(engine, suffix):
            return await _replay_claimed_partition(
                engine, registry, suffix, partition, upto, shared
            )
    finally:
        await engine.dispose()


async def _replay_claimed_partition(
    engine: AsyncEngine,
    registry: EventRegistry,
    suffix: str,
    partition: Partition,
    upto: int,
    shared: Shared,
) -> int:
    store = SQLEventStore(engine, registry)
    replay = Replay(Projector(fresh_tables(engine, suffix), registry), partition)
    async with engine.connect():  # connected before it says it is ready
        pass
    shared.ready.value = 1

    def advance(events: int) -> None:
        shared.done.value += events

    with fewer_collections():
        position = await replay_log(store, replay, after=0, upto=upto, progress=advance)
    await flush(store, replay)
    return position
