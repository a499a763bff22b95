"""The requests projection replayed: the whole log, in order, into a replay's fresh tables.

Not in partitions: a rating answers the open request of its rater, and the raters' profiles
live in their own streams; the projection reads few kinds of events, so one pass in order is
cheap. The same code as live projection (``RequestProjector``), a window to a transaction.
"""

from __future__ import annotations

from ledger.projections.requests import RequestProjector
from ledger.projections.tables import ViewTables
from ledger.replay.windows import WINDOW
from ledger.store.sql_store import SQLEventStore, SQLTransaction

__all__ = ["catch_up_fresh_requests", "replay_requests"]


async def replay_requests(store: SQLEventStore, fresh: ViewTables, *, upto: int) -> int:
    """Fold the log up to ``upto`` into the fresh requests tables; returns the position
    reached."""
    projector = RequestProjector(fresh, store.registry)
    position = 0
    while position < upto:
        page = [e for e in await store.read_all(position, WINDOW) if e.position <= upto]
        if not page:
            break
        async with store.transaction() as tx:
            await projector.project(tx.connection, page)
        position = page[-1].position
    return position


async def catch_up_fresh_requests(
    store: SQLEventStore, tx: SQLTransaction, fresh: ViewTables, position: int
) -> int:
    """Fold what was appended after ``position`` into the fresh requests tables, in the
    swap's transaction (the head held); returns the position reached."""
    projector = RequestProjector(fresh, store.registry)
    while page := await tx.read_all(position, WINDOW):
        await projector.project(tx.connection, page)
        position = page[-1].position
    return position
