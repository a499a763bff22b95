"""Claiming due deliveries and recording how each attempt went.

A claim counts the attempt and pushes the delivery's next attempt a lease ahead, in one
short transaction: on PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets deliverers racing for the
same rows each take different ones, on SQLite the write lock (``BEGIN IMMEDIATE``) puts
them in turn. The send itself happens outside any transaction; a deliverer that dies
before recording the outcome leaves the delivery to come due again when the lease ends
(at least once; the receiver drops a repeat by its id).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import RowMapping, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ledger.delivery.backoff import Backoff, Random
from ledger.delivery.content import AlertContent
from ledger.delivery.tables import deliveries, delivery_items, webhook_secrets
from ledger.store.db import write_transaction
from ledger.store.tables import alert_contacts

__all__ = ["Claimed", "Outcome", "claim_due", "record_outcomes"]

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"


@dataclass(frozen=True)
class Claimed:
    """A delivery taken for one attempt: where it goes and what it says."""

    delivery_id: str
    subscriber_id: str
    channel: str
    cadence: str
    period_start: datetime | None
    attempts: int  # this attempt's number, from 1
    email: str | None
    webhook_url: str | None
    secret: str | None
    items: tuple[AlertContent, ...]


async def claim_due(
    engine: AsyncEngine,
    now: datetime,
    channels: Sequence[str],
    *,
    lease: timedelta,
    limit: int,
) -> list[Claimed]:
    """Up to ``limit`` pending deliveries due by ``now`` on ``channels``, claimed."""
    if not channels:
        return []
    due = (
        select(deliveries)
        .where(
            deliveries.c.state == PENDING,
            deliveries.c.next_attempt_at <= now,
            deliveries.c.channel.in_(list(channels)),
        )
        .order_by(deliveries.c.next_attempt_at, deliveries.c.delivery_id)
    )
    # Looked at first without the write lock: an idle pass takes none.
    async with engine.connect() as conn:
        if (await conn.execute(due.limit(1))).first() is None:
            return []
    async with write_transaction(engine) as conn:
        query = due.limit(limit).with_for_update(skip_locked=True)
        rows = (await conn.execute(query)).mappings().all()
        claimed: list[RowMapping] = []
        for row in rows:
            taken = await conn.execute(
                update(deliveries)
                .where(
                    deliveries.c.delivery_id == row["delivery_id"],
                    deliveries.c.attempts == row["attempts"],
                )
                .values(attempts=row["attempts"] + 1, next_attempt_at=now + lease)
            )
            if taken.rowcount == 1:
                claimed.append(row)
        return await _whole(conn, claimed)


async def _whole(conn: AsyncConnection, rows: Sequence[RowMapping]) -> list[Claimed]:
    """The claimed rows with their contacts, secrets and items, in three statements."""
    if not rows:
        return []
    ids = [r["delivery_id"] for r in rows]
    items: dict[str, list[AlertContent]] = {i: [] for i in ids}
    query = (
        select(delivery_items)
        .where(delivery_items.c.delivery_id.in_(ids))
        .order_by(delivery_items.c.position, delivery_items.c.alert_id)
    )
    for item in (await conn.execute(query)).mappings():
        items[item["delivery_id"]].append(AlertContent.of_json(json.loads(item["content"])))
    contact_ids = sorted({r["contact_id"] for r in rows})
    query = select(alert_contacts).where(alert_contacts.c.contact_id.in_(contact_ids))
    contacts = {c["contact_id"]: c for c in (await conn.execute(query)).mappings()}
    subscribers = sorted({r["subscriber_id"] for r in rows})
    query = select(webhook_secrets).where(webhook_secrets.c.subscriber_id.in_(subscribers))
    secrets = {s.subscriber_id: s.secret for s in await conn.execute(query)}
    return [
        _claimed(r, contacts.get(r["contact_id"]), secrets.get(r["subscriber_id"]), items)
        for r in rows
    ]


def _claimed(
    row: RowMapping,
    contact: RowMapping | None,
    secret: str | None,
    items: dict[str, list[AlertContent]],
) -> Claimed:
    # An erased contact is sent nothing more: the delivery fails and ends among the dead.
    live = contact is not None and contact["erased_at"] is None
    return Claimed(
        delivery_id=row["delivery_id"],
        subscriber_id=row["subscriber_id"],
        channel=row["channel"],
        cadence=row["cadence"],
        period_start=row["period_start"],
        attempts=row["attempts"] + 1,
        email=contact["email"] if live and contact is not None else None,
        webhook_url=contact["webhook_url"] if live and contact is not None else None,
        secret=secret,
        items=tuple(items[row["delivery_id"]]),
    )


@dataclass(frozen=True)
class Outcome:
    """How one attempt went: ``error`` None when it was delivered."""

    claimed: Claimed
    error: str | None

    def dies(self, backoff: Backoff) -> bool:
        return self.error is not None and backoff.gives_up(self.claimed.attempts)


async def record_outcomes(
    engine: AsyncEngine,
    outcomes: Sequence[Outcome],
    now: datetime,
    backoff: Backoff,
    random: Random,
) -> None:
    """Each delivered, tried again after a backoff, or dead once its attempts are spent; a
    batch's outcomes in one transaction (on SQLite, one turn of the write lock). One that
    another deliverer claimed since (its lease ran out) is left to that one."""
    if not outcomes:
        return
    async with write_transaction(engine) as conn:
        for outcome in outcomes:
            await _settle(conn, outcome.claimed, **_result(outcome, now, backoff, random))


def _result(outcome: Outcome, now: datetime, backoff: Backoff, random: Random) -> dict[str, object]:
    if outcome.error is None:
        return {"state": DELIVERED, "delivered_at": now, "last_error": None}
    error = outcome.error[:2000]
    if outcome.dies(backoff):
        return {"state": DEAD, "last_error": error}
    later = now + backoff.delay(outcome.claimed.attempts, random)
    return {"next_attempt_at": later, "last_error": error}


async def _settle(conn: AsyncConnection, claimed: Claimed, **values: object) -> bool:
    result = await conn.execute(
        update(deliveries)
        .where(
            deliveries.c.delivery_id == claimed.delivery_id,
            deliveries.c.attempts == claimed.attempts,
            deliveries.c.state == PENDING,
        )
        .values(**values)
    )
    return bool(result.rowcount == 1)
