"""Auditors' reads: an article's history and the global log, page by page, with hashes.

Every entry carries its event's hash and the hash before it (the previous position's), so
an auditor can check each link of the chain from what the API returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.projections.tables import live_views
from ledger.store.canonical import GENESIS_HASH
from ledger.store.codec import decode_row
from ledger.store.records import RecordedEvent
from ledger.store.sql_store import SQLEventStore
from ledger.store.tables import events, people

__all__ = [
    "ActorDetails",
    "HistoryEntry",
    "actor_details",
    "events_at",
    "log_page",
    "stream_page",
]


@dataclass(frozen=True)
class HistoryEntry:
    event: RecordedEvent
    previous_hash: str


@dataclass(frozen=True)
class ActorDetails:
    """For raters: the name (while not erased) and the discipline behind an actor id."""

    name: str | None
    discipline: str | None


async def stream_page(
    conn: AsyncConnection,
    store: SQLEventStore,
    stream_id: str,
    *,
    after_version: int,
    first: int,
    types: Sequence[str] | None = None,
    actor_id: str | None = None,
) -> tuple[list[HistoryEntry], bool]:
    """Up to ``first`` events of a stream after ``after_version``, and whether more follow."""
    query = select(events).where(
        events.c.stream_id == stream_id, events.c.stream_version > after_version
    )
    query = _filtered(query, types, actor_id).order_by(events.c.stream_version)
    return await _page(conn, store, query, first)


async def log_page(
    conn: AsyncConnection,
    store: SQLEventStore,
    *,
    after_position: int,
    first: int,
    types: Sequence[str] | None = None,
) -> tuple[list[HistoryEntry], bool]:
    """Up to ``first`` events of the global log after ``after_position``, in order."""
    query = select(events).where(events.c.position > after_position)
    query = _filtered(query, types, None).order_by(events.c.position)
    return await _page(conn, store, query, first)


async def events_at(
    conn: AsyncConnection, store: SQLEventStore, positions: Sequence[int]
) -> list[HistoryEntry]:
    """The events at these positions, in position order."""
    query = select(events).where(events.c.position.in_(sorted(set(positions))))
    entries, _ = await _page(conn, store, query.order_by(events.c.position), len(positions))
    return entries


def _filtered(query: Any, types: Sequence[str] | None, actor_id: str | None) -> Any:
    if types:
        query = query.where(events.c.event_type.in_(list(types)))
    if actor_id is not None:
        query = query.where(events.c.actor_id == actor_id)
    return query


async def _page(
    conn: AsyncConnection, store: SQLEventStore, query: Any, first: int
) -> tuple[list[HistoryEntry], bool]:
    rows = (await conn.execute(query.limit(first + 1))).all()
    more = len(rows) > first
    recorded = [decode_row(store.registry, row) for row in rows[:first]]
    wanted = [event.position - 1 for event in recorded if event.position > 1]
    previous: dict[int, str] = {0: GENESIS_HASH}
    if wanted:
        found = await conn.execute(
            select(events.c.position, events.c.hash).where(events.c.position.in_(wanted))
        )
        previous |= {row.position: row.hash for row in found}
    entries = [HistoryEntry(event, previous[event.position - 1]) for event in recorded]
    return entries, more


async def actor_details(conn: AsyncConnection, actor_ids: Sequence[str]) -> dict[str, ActorDetails]:
    """Names and disciplines of the raters among these actor ids (one statement)."""
    raters = live_views.raters
    query = (
        select(raters.c.rater_id, raters.c.discipline, people.c.display_name)
        .select_from(raters.outerjoin(people, people.c.person_id == raters.c.person_id))
        .where(raters.c.rater_id.in_(sorted(set(actor_ids))))
    )
    return {
        row.rater_id: ActorDetails(row.display_name, row.discipline)
        for row in await conn.execute(query)
    }
