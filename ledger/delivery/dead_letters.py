"""The dead letters: deliveries whose attempts are spent, listed for editors, and put back
in the outbox one at a time by an editor's retry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ledger.delivery.attempts import DEAD, PENDING
from ledger.delivery.tables import deliveries, delivery_items
from ledger.store.db import write_transaction

__all__ = [
    "DeadDelivery",
    "DeliveryNotDead",
    "Retried",
    "UnknownDelivery",
    "dead_page",
    "retry_dead",
]


class UnknownDelivery(LookupError):
    pass


class DeliveryNotDead(ValueError):
    def __init__(self, delivery_id: str, state: str) -> None:
        super().__init__(f"delivery {delivery_id} is {state}, not dead: only a dead one is retried")
        self.state = state


@dataclass(frozen=True)
class DeadDelivery:
    delivery_id: str
    subscriber_id: str
    channel: str
    cadence: str
    state: str
    attempts: int
    last_error: str | None
    created_at: datetime
    article_ids: tuple[str, ...]


@dataclass(frozen=True)
class Retried:
    delivery: DeadDelivery  # as it now stands: pending again
    replayed: bool


async def _with_articles(
    conn: AsyncConnection, rows: list[dict[str, object]]
) -> list[DeadDelivery]:
    ids = [str(r["delivery_id"]) for r in rows]
    articles: dict[str, list[str]] = {i: [] for i in ids}
    query = (
        select(delivery_items.c.delivery_id, delivery_items.c.content)
        .where(delivery_items.c.delivery_id.in_(ids))
        .order_by(delivery_items.c.position, delivery_items.c.alert_id)
    )
    for item in await conn.execute(query):
        articles[item.delivery_id].append(json.loads(item.content)["article_id"])
    return [
        DeadDelivery(
            delivery_id=str(r["delivery_id"]),
            subscriber_id=str(r["subscriber_id"]),
            channel=str(r["channel"]),
            cadence=str(r["cadence"]),
            state=str(r["state"]),
            attempts=int(r["attempts"]),  # type: ignore[call-overload]
            last_error=None if r["last_error"] is None else str(r["last_error"]),
            created_at=r["created_at"],  # type: ignore[arg-type]
            article_ids=tuple(articles[str(r["delivery_id"])]),
        )
        for r in rows
    ]


async def dead_page(
    conn: AsyncConnection, first: int, *, after: tuple[datetime, str] | None = None
) -> tuple[list[DeadDelivery], bool]:
    """Dead deliveries, oldest first (by when they were made, then id), after the keyset
    ``after``; and whether more follow."""
    query = select(deliveries).where(deliveries.c.state == DEAD)
    if after is not None:
        made, delivery_id = after
        query = query.where(
            or_(
                deliveries.c.created_at > made,
                and_(deliveries.c.created_at == made, deliveries.c.delivery_id > delivery_id),
            )
        )
    query = query.order_by(deliveries.c.created_at, deliveries.c.delivery_id).limit(first + 1)
    rows = [dict(r) for r in (await conn.execute(query)).mappings()]
    return await _with_articles(conn, rows[:first]), len(rows) > first


async def retry_dead(
    engine: AsyncEngine, delivery_id: str, now: datetime, key: str | None = None
) -> Retried:
    """Put a dead delivery back in the outbox with its attempts anew, due now. The same
    idempotency key again answers as the first time and changes nothing."""
    async with write_transaction(engine) as conn:
        query = select(deliveries).where(deliveries.c.delivery_id == delivery_id)
        found = (await conn.execute(query.with_for_update())).mappings().one_or_none()
        if found is None:
            raise UnknownDelivery(delivery_id)
        replayed = key is not None and found["retry_key"] == key
        if not replayed:
            if found["state"] != DEAD:
                raise DeliveryNotDead(delivery_id, found["state"])
            await conn.execute(
                update(deliveries)
                .where(deliveries.c.delivery_id == delivery_id)
                .values(state=PENDING, attempts=0, next_attempt_at=now, retry_key=key)
            )
        row = dict((await conn.execute(query)).mappings().one())
        [delivery] = await _with_articles(conn, [row])
        return Retried(delivery, replayed)
