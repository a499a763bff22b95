"""The alerts projection replayed: the whole log, in order, into a replay's fresh tables.

Not in partitions: whether an article is due to a subscriber depends on the profiles in
force at that position, which every partition would need; and the alert rule reads only a
few kinds of events. The same code as live projection (``AlertProjector``), a window to a
transaction.
"""

from __future__ import annotations

from ledger.domain.scores import ScorePolicy
from ledger.projections.alerts import AlertProjector
from ledger.projections.tables import ViewTables
from ledger.replay.windows import WINDOW
from ledger.store.sql_store import SQLEventStore, SQLTransaction

__all__ = ["catch_up_fresh_alerts", "replay_alerts"]


async def replay_alerts(
    store: SQLEventStore, fresh: ViewTables, *, upto: int, policy: ScorePolicy | None = None
) -> int:
    """Fold the log up to ``upto`` into the fresh alerts tables (by the deployment's score
    ``policy``, as the live ones); returns the position reached."""
    projector = AlertProjector(fresh, store.registry, policy)
    position = 0
    while position < upto:
        page = [e for e in await store.read_all(position, WINDOW) if e.position <= upto]
        if not page:
            break
        async with store.transaction() as tx:
            await projector.project(tx.connection, page)
        position = page[-1].position
    return position


async def catch_up_fresh_alerts(
    store: SQLEventStore,
    tx: SQLTransaction,
    fresh: ViewTables,
    position: int,
    policy: ScorePolicy | None = None,
) -> int:
    """Fold what was appended after ``position`` into the fresh alerts tables, in the swap's
    transaction (the head held); returns the position reached."""
    projector = AlertProjector(fresh, store.registry, policy)
    while page := await tx.read_all(position, WINDOW):
        await projector.project(tx.connection, page)
        position = page[-1].position
    return position
