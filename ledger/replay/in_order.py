"""The projections replayed in log order, not in partitions: alerts and rating requests.

Whether an article is due to a subscriber depends on the profiles in force at that
position, and a rating answers its rater's open request while the raters' profiles live in
their own streams: every partition would need them all. Both read few kinds of events, so
one pass over the log, in order, feeds both; each is the very code of its live projection
(``AlertProjector``, ``RequestProjector``), a window to a transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.domain.scores import ScorePolicy
from ledger.projections.alerts import AlertProjector
from ledger.projections.requests import RequestProjector
from ledger.projections.tables import ViewTables
from ledger.replay.windows import WINDOW
from ledger.store.records import RecordedEvent
from ledger.store.sql_store import SQLEventStore, SQLTransaction

__all__ = ["InOrder", "catch_up_in_order", "in_order", "replay_in_order"]


class InOrder(Protocol):
    async def project(self, conn: AsyncConnection, events: Sequence[RecordedEvent]) -> None: ...


def in_order(
    store: SQLEventStore, fresh: ViewTables, policy: ScorePolicy | None = None
) -> list[InOrder]:
    """The projections replayed in order into ``fresh``, alerts by the deployment's score
    ``policy`` as the live ones."""
    return [AlertProjector(fresh, store.registry, policy), RequestProjector(fresh, store.registry)]


async def replay_in_order(
    store: SQLEventStore, projections: Sequence[InOrder], *, upto: int
) -> int:
    """Fold the log up to ``upto`` into every one of ``projections``; returns the position
    reached."""
    position = 0
    while position < upto:
        page = [e for e in await store.read_all(position, WINDOW) if e.position <= upto]
        if not page:
            break
        async with store.transaction() as tx:
            for projection in projections:
                await projection.project(tx.connection, page)
        position = page[-1].position
    return position


async def catch_up_in_order(
    tx: SQLTransaction, projections: Sequence[InOrder], position: int
) -> int:
    """Fold what was appended after ``position`` into ``projections``, in the swap's
    transaction (the head held); returns the position reached."""
    while page := await tx.read_all(position, WINDOW):
        for projection in projections:
            await projection.project(tx.connection, page)
        position = page[-1].position
    return position
