"""Whether a deliverer pass has anything to do, asked in one statement.

``serve``'s deliverer wakes after appends (most of which make no alert due) and every few
seconds (for retries coming due), so most passes find nothing. Finding that out through
``fill_outbox`` and ``claim_due`` takes two connections, a transaction on each and four
statements: on a busy read path, a share of the serving process's time. Here it is one
statement outside any transaction (a single SELECT reads one snapshot by itself). Only a
pass told yes goes on to ``fill_outbox`` and ``claim_due``, which look again and take what
they find under their locks: this answer is a hint, never a claim."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.delivery.attempts import PENDING
from ledger.delivery.tables import OUTBOX, deliveries, delivery_checkpoints
from ledger.projections.tables import ALERTS, live_views, projection_checkpoints
from ledger.store.db import statements_alone

__all__ = ["WaitingWork"]


def _alerts_to_take_in() -> ColumnElement[bool]:
    # As ``fill_outbox`` looks: the outbox's checkpoint short of the alerts projection's,
    # and a due alert past it.
    taken_in = func.coalesce(
        select(delivery_checkpoints.c.position)
        .where(delivery_checkpoints.c.name == OUTBOX)
        .scalar_subquery(),
        0,
    )
    projected = func.coalesce(
        select(projection_checkpoints.c.position)
        .where(projection_checkpoints.c.name == ALERTS)
        .scalar_subquery(),
        0,
    )
    due = live_views.due_alerts
    return and_(taken_in < projected, exists().where(due.c.position > taken_in))


def _deliveries_due(channels: Sequence[str]) -> ColumnElement[bool]:
    # As ``claim_due`` looks: a pending delivery due by now on a channel this pass sends.
    if not channels:
        return false()
    now = bindparam("now", type_=deliveries.c.next_attempt_at.type)
    return exists().where(
        deliveries.c.state == PENDING,
        deliveries.c.next_attempt_at <= now,
        deliveries.c.channel.in_(list(channels)),
    )


class WaitingWork:
    """The question for one deliverer (its engine, its channels), built once."""

    def __init__(self, engine: AsyncEngine, channels: Sequence[str]) -> None:
        self._engine = statements_alone(engine)
        self._query: Select[tuple[bool]] = select(
            or_(_alerts_to_take_in(), _deliveries_due(channels))
        )
        self._timed = bool(channels)  # no channel: no time in the question

    async def any_by(self, now: datetime) -> bool:
        """Whether due alerts wait to be taken into the outbox, or deliveries on the
        channels are due by ``now``."""
        async with self._engine.connect() as conn:
            return bool(await conn.scalar(self._query, {"now": now} if self._timed else None))
