"""Verification: the live views, read in one snapshot, compared with a replay up to exactly
that snapshot's checkpoint (so it needs no lock and stops no writer), row by row, and the
search index checked against the rows it is built from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.domain.scores import ScorePolicy
from ledger.projections.alerts import alerts_checkpoint
from ledger.projections.projector import Projector, checkpoint
from ledger.projections.search_index import INDEX_NAME, index_problem
from ledger.projections.tables import ViewTables, live_views
from ledger.replay.fresh import fresh_views
from ledger.replay.in_order import in_order, replay_in_order
from ledger.replay.partitions import replay_partitioned
from ledger.replay.pipeline import (
    Progress,
    ProgressCounter,
    fewer_collections,
    flush,
    replay_log,
)
from ledger.replay.processes import PartitionMisplaced, partition_count
from ledger.replay.working_set import Replay
from ledger.store.db import snapshot
from ledger.store.sql_store import SQLEventStore
from ledger.store.tables import ledger_head

__all__ = ["MAX_REPORTED", "Mismatch", "ProjectionReport", "compare_tables", "verify_projections"]

MAX_REPORTED = 20


@dataclass(frozen=True)
class ProjectionReport:
    """``ok`` when the views are at the head and equal a replay up to it."""

    ok: bool
    position: int
    mismatches: tuple[Mismatch, ...]
    head_position: int

    @property
    def behind(self) -> bool:
        return self.position < self.head_position

    @property
    def first_article(self) -> str | None:
        """The first article (by id) whose live view differs from the replay."""
        ids = [m.article_id for m in self.mismatches if m.article_id is not None]
        return min(ids) if ids else None


async def verify_projections(
    store: SQLEventStore,
    *,
    progress: Progress | None = None,
    partitions: int | None = None,
    policy: ScorePolicy | None = None,
) -> ProjectionReport:
    """Compare the live views with a replay up to their checkpoint (``partitions`` and the
    score ``policy`` as for ``rebuild``)."""
    reporter = ProgressCounter(progress)
    try:
        return await _verify_projections(store, reporter, partitions, policy)
    except PartitionMisplaced:
        reporter.restart()
        return await _verify_projections(store, reporter, 1, policy)


async def _verify_projections(
    store: SQLEventStore,
    progress: Progress,
    partitions: int | None,
    policy: ScorePolicy | None = None,
) -> ProjectionReport:
    async with fresh_views(store) as fresh, snapshot(store.engine) as live_conn:
        # The first read fixes the snapshot; the views in it are exactly at this position.
        position = await checkpoint(live_conn)
        head = await live_conn.scalar(select(ledger_head.c.position))
        alerts_at = await alerts_checkpoint(live_conn)
        await _replay_upto(store, fresh, position, partitions, progress)
        await replay_in_order(store, in_order(store, fresh, policy), upto=position)
        mismatches = await _mismatches(store, live_conn, fresh)
        if alerts_at != position:
            # The alerts move with the other views, in the append's transaction.
            live, replayed = {"position": alerts_at}, {"position": position}
            mismatches.insert(0, Mismatch("projection_checkpoints", "alerts", None, live, replayed))
    return ProjectionReport(
        ok=not mismatches and position == head,
        position=position,
        mismatches=tuple(mismatches[:MAX_REPORTED]),
        head_position=int(head or 0),
    )


async def _replay_upto(
    store: SQLEventStore,
    fresh: ViewTables,
    position: int,
    partitions: int | None,
    progress: Progress,
) -> None:
    """Replay the log up to ``position`` into ``fresh``, every row written."""
    count = partition_count(store.engine, store.registry, position, partitions)
    with fewer_collections():
        if count > 1:
            replay = await replay_partitioned(store, fresh, position, count, progress)
        else:
            replay = Replay(Projector(fresh, store.registry))
            await replay_log(store, replay, after=0, upto=position, progress=progress)
    await flush(store, replay)


async def _mismatches(
    store: SQLEventStore, live_conn: AsyncConnection, fresh: ViewTables
) -> list[Mismatch]:
    mismatches: list[Mismatch] = []
    async with store.engine.connect() as replayed:
        for live, new in zip(live_views.all(), fresh.all(), strict=True):
            mismatches += await compare_tables(live_conn, live, replayed, new)
        # The rows compared above are what the search index is built from; the index itself
        # must hold exactly their words.
        problem = await index_problem(replayed)
        if problem is not None:
            mismatches.append(Mismatch(INDEX_NAME, "index", None, {"problem": problem}, None))
    return mismatches


@dataclass(frozen=True)
class Mismatch:
    table: str
    key: str
    article_id: str | None
    live: dict[str, Any] | None
    replayed: dict[str, Any] | None


async def compare_tables(
    live_conn: AsyncConnection, live: Table, replay_conn: AsyncConnection, replayed: Table
) -> list[Mismatch]:
    """Merge both tables in key order; every key whose rows differ is a mismatch (the first
    ``MAX_REPORTED``)."""
    key_names = [column.name for column in live.primary_key]
    live_rows = await live_conn.stream(select(live).order_by(*(live.c[n] for n in key_names)))
    new_rows = await replay_conn.stream(
        select(replayed).order_by(*(replayed.c[n] for n in key_names))
    )
    live_iter, new_iter = aiter(live_rows.mappings()), aiter(new_rows.mappings())
    left, right = await anext(live_iter, None), await anext(new_iter, None)
    found: list[Mismatch] = []
    while (left is not None or right is not None) and len(found) < MAX_REPORTED:
        left_key = None if left is None else tuple(left[n] for n in key_names)
        right_key = None if right is None else tuple(right[n] for n in key_names)
        if left_key == right_key:
            assert left is not None
            assert right is not None
            if dict(left) != dict(right):
                found.append(_mismatch(live.name, left_key, dict(left), dict(right)))
            left, right = await anext(live_iter, None), await anext(new_iter, None)
        elif right_key is None or (left_key is not None and left_key < right_key):
            assert left is not None
            found.append(_mismatch(live.name, left_key, dict(left), None))
            left = await anext(live_iter, None)
        else:
            assert right is not None
            found.append(_mismatch(live.name, right_key, None, dict(right)))
            right = await anext(new_iter, None)
    await live_rows.close()
    await new_rows.close()
    return found


def _mismatch(
    table: str, key: Any, live: dict[str, Any] | None, replayed: dict[str, Any] | None
) -> Mismatch:
    row = live if live is not None else replayed
    article_id = None if row is None else row.get("article_id")
    return Mismatch(table, "/".join(str(part) for part in key), article_id, live, replayed)
