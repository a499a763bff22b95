"""A replay reads the log in windows, each event straight to a ``Fact``: no metadata, actor
or hash is built (the views show none of them), and each event is decoded by the store's own
decoder (``ledger.store.codec``). How a window's rows come back is the backend's
(``ledger.replay.sqlite``: one JSON document; ``ledger.replay.postgres``: the driver's rows).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.domain.events import EventRegistry
from ledger.projections.fold import Fact
from ledger.replay.backends import backend_of
from ledger.replay.processes import Partition, PartitionMisplaced, partition_sql
from ledger.store.codec import current_payload
from ledger.store.sql_store import SQLEventStore

__all__ = ["SLICE", "WINDOW", "read_facts", "read_window", "span_end"]

WINDOW = 20_000
# Events decoded or folded between two turns of the event loop. The other stages of the
# pipeline move only in those turns (each statement of a write waits for one), so a whole
# window decoded or folded at a stretch would hold them up for its duration.
SLICE = 1000

# A window of the log: only what the views show of each event.
_WINDOW_ROWS = (
    "SELECT position, stream_version, event_type, schema_version, payload, recorded_at"
    " FROM events WHERE position > :after AND position <= :upto{partition}"
    " ORDER BY position LIMIT :limit"
)
_LAST_POSITION = 2**63 - 1


async def read_window(
    store: SQLEventStore,
    after: int = 0,
    upto: int | None = None,
    *,
    partition: Partition | None = None,
) -> list[Fact]:
    """The next window of the log after ``after`` (and up to ``upto``), as a replay reads it,
    as facts: ``WINDOW`` events at most; or, with ``partition`` (and ``upto``), the
    partition's events among the next ``WINDOW`` positions (``span_end``)."""
    async with store.engine.connect() as conn:
        return await read_facts(conn, store.registry, after, upto, partition)


def span_end(after: int, upto: int) -> int:
    """The last position of a partition's window after ``after``: a partition reads its
    events among the next ``WINDOW`` positions of the log, about its share of a window.

    Not "its next ``WINDOW // count`` events": PostgreSQL's planner cannot tell how many rows
    the partition's condition keeps, guesses a few, and so plans such a read over the rest of
    the log as a scan of all of it and a sort, not a walk of the position index that stops
    at the limit (the first reads of a prepared statement, planned for their own values, did
    just that: the whole events table for each). Bounded by positions, every window is a
    short range of the index."""
    return min(after + WINDOW, upto)


async def read_facts(
    conn: AsyncConnection,
    registry: EventRegistry,
    after: int,
    upto: int | None,
    partition: Partition | None,
) -> list[Fact]:
    """A window of the log as facts, payloads upcast to their types' current shapes."""
    backend = backend_of(conn.dialect)
    parameters: dict[str, Any] = {
        "after": after,
        "upto": _LAST_POSITION if upto is None else upto,
        "limit": WINDOW,
    }
    condition = ""
    if partition is not None:
        assert upto is not None, "a partition is read up to a position"
        parameters |= {
            "upto": span_end(after, upto),
            "partition": partition.index,
            "partitions": partition.count,
        }
        condition = f" AND {partition_sql(backend.last_character())}"
    rows, payloads_as_text = await backend.read_rows(
        conn, _WINDOW_ROWS.format(partition=condition), parameters
    )
    facts = []
    decode = registry.decode
    for number, row in enumerate(rows, start=1):
        if number % SLICE == 0:
            await asyncio.sleep(0)
        # The time is an aware UTC datetime (PostgreSQL), or (SQLite) the very text SQLite
        # stores, which the views store too (see ``Fact``): parsed here and formatted again
        # for the write, it took a tenth or more of a replay's time.
        position, stream_version, name, schema_version, payload, recorded_at = row
        if payloads_as_text:
            payload = json.loads(payload)
        payload, _ = current_payload(registry, name, schema_version, payload, position)
        event = decode(name, payload)
        if partition is not None and not partition.owns(getattr(event, "article_id", None)):
            raise PartitionMisplaced()
        facts.append(Fact(event, position, stream_version, recorded_at))
    return facts
