"""Replaying the whole log: rebuilding the live views, and proving they equal a replay.

Both replay into fresh tables with the live projector's own code. A rebuild then swaps the
result in, in one transaction that holds the ledger head, so readers see the old views or
the new ones and never an empty or half-built one. A verification compares the live views,
read in one snapshot, with a replay up to exactly that snapshot's checkpoint, so it needs
no lock and stops no writer.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import MetaData, Table, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger._append import lock_head
from ledger.db import snapshot
from ledger.projections import Projector, advance_checkpoints, checkpoint
from ledger.store import EventStore
from ledger.tables import ViewTables, ledger_head, live_views, metadata, view_tables

__all__ = ["Mismatch", "ProjectionReport", "RebuildReport", "rebuild", "verify_projections"]

WINDOW = 5000
MAX_REPORTED = 20
Progress = Callable[[int], None]


@dataclass(frozen=True)
class RebuildReport:
    events: int
    position: int
    seconds: float

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")


@dataclass(frozen=True)
class Mismatch:
    table: str
    key: str
    article_id: str | None
    live: dict[str, Any] | None
    replayed: dict[str, Any] | None


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


async def rebuild(store: EventStore, *, progress: Progress | None = None) -> RebuildReport:
    started = time.perf_counter()
    async with _fresh_views(store) as fresh:
        projector = Projector(fresh, store.registry)
        position = await _replay(store, projector, after=0, upto=None, progress=progress)
        async with store.transaction() as tx:
            conn = tx.connection
            await lock_head(conn)  # writers wait from here: catch up, then swap
            while page := await tx.read_all(position, WINDOW):
                await projector.project(conn, page)
                position = page[-1].position
                if progress is not None:
                    progress(len(page))
            for live, new in zip(live_views.all(), fresh.all(), strict=True):
                await conn.execute(delete(live))
                names = [column.name for column in live.columns]
                await conn.execute(
                    insert(live).from_select(names, select(*(new.c[n] for n in names)))
                )
            await advance_checkpoints(conn, position)
    return RebuildReport(position, position, time.perf_counter() - started)


async def verify_projections(
    store: EventStore, *, progress: Progress | None = None
) -> ProjectionReport:
    async with _fresh_views(store) as fresh, snapshot(store.engine) as live_conn:
        # The first read fixes the snapshot; the views in it are exactly at this position.
        position = await checkpoint(live_conn)
        head = await live_conn.scalar(select(ledger_head.c.position))
        await _replay(
            store, Projector(fresh, store.registry), after=0, upto=position, progress=progress
        )
        mismatches: list[Mismatch] = []
        async with store.engine.connect() as replayed:
            for live, new in zip(live_views.all(), fresh.all(), strict=True):
                mismatches += await _compare(live_conn, live, replayed, new)
    return ProjectionReport(
        ok=not mismatches and position == head,
        position=position,
        mismatches=tuple(mismatches[:MAX_REPORTED]),
        head_position=int(head or 0),
    )


async def _replay(
    store: EventStore,
    projector: Projector,
    *,
    after: int,
    upto: int | None,
    progress: Progress | None,
) -> int:
    """Project the log after ``after`` (up to ``upto``) in windows of their own transactions."""
    position = after
    while upto is None or position < upto:
        page = await store.read_all(position, WINDOW)
        if upto is not None:
            page = [event for event in page if event.position <= upto]
        if not page:
            break
        async with store.transaction() as tx:
            await projector.project(tx.connection, page)
        position = page[-1].position
        if progress is not None:
            progress(len(page))
    return position


@asynccontextmanager
async def _fresh_views(store: EventStore) -> AsyncIterator[ViewTables]:
    """Empty projection tables of a unique name, dropped again on the way out."""
    target = MetaData(naming_convention=metadata.naming_convention)
    fresh = view_tables(target, suffix=f"_replay_{uuid.uuid4().hex[:8]}")
    async with store.transaction() as tx:
        await tx.connection.run_sync(target.create_all)
    try:
        yield fresh
    finally:
        async with store.transaction() as tx:
            await tx.connection.run_sync(target.drop_all)


async def _compare(
    live_conn: AsyncConnection, live: Table, replay_conn: AsyncConnection, replayed: Table
) -> list[Mismatch]:
    """Merge both tables in key order; every key whose rows differ is a mismatch."""
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
