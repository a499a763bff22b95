"""Replaying the whole log: rebuilding the live views, and proving they equal a replay.

Both replay into fresh tables (``ledger.replay.fresh``) with the live projector's own code,
through one pipeline (``ledger.replay.pipeline``: read, decode, fold, write, overlapping), in
partitions on several cores when the log is large (``ledger.replay.partitions``). A rebuild
then swaps the result in, in one transaction that holds the ledger head, so readers see the
old views or the new ones and never an empty or half-built one. A verification
(``ledger.replay.verify``) compares the live views, read in one snapshot, with a replay up to
exactly that snapshot's checkpoint, so it needs no lock and stops no writer.

This module is the replay's public face: the command line and the app import the rebuild,
the verification and the clearing of leftovers from here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ledger.domain.scores import ScorePolicy
from ledger.projections.alerts import advance_alerts
from ledger.projections.projector import Projector, advance_checkpoints
from ledger.projections.tables import ViewTables
from ledger.replay import windows
from ledger.replay.fresh import (
    LeftoverReport,
    analyze,
    drop_abandoned_replays,
    fresh_views,
    index,
    swap,
)
from ledger.replay.in_order import catch_up_in_order, in_order, replay_in_order
from ledger.replay.partitions import replay_partitioned
from ledger.replay.pipeline import (
    Progress,
    ProgressCounter,
    fewer_collections,
    flush,
    replay_log,
    together,
)
from ledger.replay.processes import PartitionMisplaced, partition_count
from ledger.replay.verify import Mismatch, ProjectionReport, verify_projections
from ledger.replay.working_set import Replay
from ledger.store.append import lock_head
from ledger.store.sql_store import SQLEventStore

__all__ = [
    "LeftoverReport",
    "Mismatch",
    "ProjectionReport",
    "RebuildReport",
    "drop_abandoned_replays",
    "rebuild",
    "verify_projections",
]


@dataclass(frozen=True)
class RebuildReport:
    events: int
    position: int
    seconds: float
    partitions: int = 1  # the processes that shared the replay

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")


async def rebuild(
    store: SQLEventStore,
    *,
    progress: Progress | None = None,
    partitions: int | None = None,
    policy: ScorePolicy | None = None,
) -> RebuildReport:
    """Replay the whole log into fresh views and swap them in. ``partitions``: how many
    processes share the replay (None: one per core, for a log large enough to gain).
    ``policy``: the deployment's score policy, by which the alerts are decided.
    The tables of earlier replays that were killed are dropped first."""
    started = time.perf_counter()
    reporter = ProgressCounter(progress)
    await drop_abandoned_replays(store.engine)  # a killed rebuild's tables go before they pile up
    try:
        return await _rebuild(store, reporter, partitions, started, policy)
    except PartitionMisplaced:
        reporter.restart()
        return await _rebuild(store, reporter, 1, started, policy)


async def _rebuild(
    store: SQLEventStore,
    progress: Progress,
    partitions: int | None,
    started: float,
    policy: ScorePolicy | None = None,
) -> RebuildReport:
    async with fresh_views(store) as fresh:
        with fewer_collections():
            replay, position, count = await _head_start(store, fresh, partitions, progress)
            position = await replay_log(store, replay, after=position, upto=None, progress=progress)
        # The statistics need not wait for the last rows: a sample is a sample. An index
        # built meanwhile waits for the rows' transaction, or they for the index: either way
        # it holds them all.
        await together(flush(store, replay), index(store, fresh), analyze(store, fresh))
        ordered = in_order(store, fresh, policy)
        ordered_at = await replay_in_order(store, ordered, upto=position)
        async with store.transaction() as tx:
            conn = tx.connection
            await lock_head(conn)  # writers wait from here: catch up, then swap
            while page := await tx.read_all(position, windows.WINDOW):
                await replay.window(conn, replay.projector.facts(page))
                position = page[-1].position
                progress(len(page))
            await replay.flush(conn)
            ordered_at = await catch_up_in_order(tx, ordered, ordered_at)
            assert ordered_at == position, "alerts and requests are replayed to the same head"
            await swap(conn, fresh)
            await advance_checkpoints(conn, position)
            await advance_alerts(conn, position)
    return RebuildReport(position, position, time.perf_counter() - started, count)


async def _head_start(
    store: SQLEventStore, fresh: ViewTables, partitions: int | None, progress: Progress
) -> tuple[Replay, int, int]:
    """A rebuild's start: the log as it stands now, in partitions if it pays; returns the
    replay to go on with, the position reached (0: nothing replayed yet) and the number of
    partitions."""
    head = (await store.head()).position
    count = partition_count(store.engine, store.registry, head, partitions)
    if count == 1:
        return Replay(Projector(fresh, store.registry)), 0, 1
    return await replay_partitioned(store, fresh, head, count, progress), head, count
