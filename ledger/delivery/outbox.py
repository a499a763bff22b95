"""The outbox, filled from the alerts projection's due rows by a consumer of its own.

Why a consumer with its own checkpoint, not rows written in the append's transaction: the
alerts projection is rebuilt and replayed (``rebuild``, ``verify``), and a delivery is a
fact about the world (it was sent) that no replay may make again or undo. The consumer
reads the due alerts up to the alerts checkpoint, so it only ever sees whole appends, and
takes in one page per transaction together with its checkpoint: a crash rolls both back,
and the next pass takes the same alerts in again under the same delivery ids. Nothing is
lost, nothing is doubled (and an insert that finds its id already there keeps the row).

Each due alert becomes one delivery per channel of the subscriber's profile in force when
it is taken in (immediate), or joins the subscriber's digest of its period (daily, weekly:
``ledger.delivery.periods``), sent when the period ends.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ledger.delivery.content import content_of
from ledger.delivery.periods import DIGESTS, period_of
from ledger.delivery.secrets import issue_secrets
from ledger.delivery.sql import insert_new
from ledger.delivery.tables import OUTBOX, deliveries, delivery_checkpoints, delivery_items
from ledger.domain.scores import ScorePolicy
from ledger.projections.alerts import alerts_checkpoint
from ledger.projections.tables import live_views
from ledger.read.articles import article_views
from ledger.store.db import write_transaction
from ledger.store.tables import alert_contacts

__all__ = ["PAGE_POSITIONS", "delivery_id", "fill_outbox", "outbox_checkpoint", "take_in_page"]

# Ledger positions taken in per transaction.
PAGE_POSITIONS = 500
CHANNELS = ("email", "webhook")


def delivery_id(*parts: str) -> str:
    """A delivery's id, the same whoever computes it and however often."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


async def outbox_checkpoint(conn: AsyncConnection, *, lock: bool = False) -> int:
    query = select(delivery_checkpoints.c.position).where(delivery_checkpoints.c.name == OUTBOX)
    position = await conn.scalar(query.with_for_update() if lock else query)
    return int(position or 0)


async def fill_outbox(
    engine: AsyncEngine, clock: Callable[[], datetime], policy: ScorePolicy | None = None
) -> int:
    """Take in every due alert the outbox has not; returns how many."""
    # Looked at first without the write lock (SQLite's is the whole database's): a pass that
    # finds no alert past the checkpoint takes no lock at all (the checkpoint can wait: the
    # next alert's take-in moves it past the appends that made none).
    async with engine.connect() as conn:
        start = await outbox_checkpoint(conn)
        if start >= await alerts_checkpoint(conn) or not await _due_after(conn, start):
            return 0
    total = 0
    while True:
        async with write_transaction(engine) as conn:
            taken, more = await take_in_page(conn, clock(), policy or ScorePolicy())
        total += taken
        if not more:
            return total


async def _due_after(conn: AsyncConnection, position: int) -> bool:
    due = live_views.due_alerts
    found = await conn.scalar(select(due.c.position).where(due.c.position > position).limit(1))
    return found is not None


async def take_in_page(
    conn: AsyncConnection, now: datetime, policy: ScorePolicy
) -> tuple[int, bool]:
    """One page of due alerts into the outbox (the checkpoint row locked first, so two
    deliverers take in one after the other); returns how many, and whether more wait."""
    start = await outbox_checkpoint(conn, lock=True)
    upto = await alerts_checkpoint(conn)
    if start >= upto:
        return 0, False
    end = min(upto, start + PAGE_POSITIONS)
    due = live_views.due_alerts
    rows = (
        (
            await conn.execute(
                select(due)
                .where(due.c.position > start, due.c.position <= end)
                .order_by(due.c.position, due.c.alert_id)
            )
        )
        .mappings()
        .all()
    )
    if rows:
        await _take_in(conn, rows, now, policy)
    await conn.execute(
        update(delivery_checkpoints)
        .where(delivery_checkpoints.c.name == OUTBOX)
        .values(position=end)
    )
    return len(rows), end < upto


@dataclass
class _Page:
    """What one page of due alerts adds, written in a few statements at its end."""

    now: datetime
    deliveries: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)
    webhook_subscribers: set[str] = field(default_factory=set)

    async def write(self, conn: AsyncConnection) -> None:
        await issue_secrets(conn, sorted(self.webhook_subscribers), self.now)
        await insert_new(conn, deliveries, list(self.deliveries.values()))
        await insert_new(conn, delivery_items, self.items)


async def _take_in(
    conn: AsyncConnection, rows: Sequence[Any], now: datetime, policy: ScorePolicy
) -> None:
    profiles = await _profiles(conn, sorted({r["subscriber_id"] for r in rows}))
    views = await article_views(conn, sorted({r["article_id"] for r in rows}), policy)
    page = _Page(now)
    for row in rows:
        profile = profiles.get(row["subscriber_id"])
        # No profile in force (cleared since), or one that sends nothing: the alert stays
        # due (and listed), but goes nowhere.
        if profile is None or profile["delivery"] == "none" or profile["contact_id"] is None:
            continue
        content = json.dumps(content_of(row, views.get(row["article_id"])).as_json())
        for channel in _channels(profile):
            if channel == "webhook":
                page.webhook_subscribers.add(row["subscriber_id"])
            target = await _delivery_for(conn, page, row, profile, channel)
            page.items.append(
                {
                    "delivery_id": target,
                    "alert_id": row["alert_id"],
                    "position": row["position"],
                    "content": content,
                }
            )
    await page.write(conn)


def _channels(profile: Any) -> list[str]:
    present = {"email": profile["email"], "webhook": profile["webhook_url"]}
    return [channel for channel in CHANNELS if present[channel] is not None]


async def _profiles(conn: AsyncConnection, subscribers: list[str]) -> dict[str, Any]:
    profiles = live_views.alert_profiles
    query = (
        select(
            profiles.c.subscriber_id,
            profiles.c.delivery,
            profiles.c.contact_id,
            alert_contacts.c.email,
            alert_contacts.c.webhook_url,
        )
        .outerjoin(alert_contacts, alert_contacts.c.contact_id == profiles.c.contact_id)
        .where(profiles.c.subscriber_id.in_(subscribers))
    )
    return {row["subscriber_id"]: row for row in (await conn.execute(query)).mappings()}


async def _delivery_for(
    conn: AsyncConnection, page: _Page, due: Any, profile: Any, channel: str
) -> str:
    """The delivery ``due`` joins on ``channel``: its own (immediate), or its period's
    digest, made if new."""
    cadence = profile["delivery"]
    row = {
        "subscriber_id": due["subscriber_id"],
        "channel": channel,
        "contact_id": profile["contact_id"],
        "cadence": cadence,
        "state": "pending",
        "attempts": 0,
        "created_at": page.now,
    }
    if cadence not in DIGESTS:
        target = delivery_id("alert", due["alert_id"], channel)
        new = {"delivery_id": target, "period_start": None, "next_attempt_at": page.now}
        page.deliveries[target] = row | new
        return target
    start, end = period_of(cadence, due["due_at"])
    while True:
        target = delivery_id("digest", due["subscriber_id"], cadence, start.isoformat(), channel)
        if target in page.deliveries:
            return target
        found = (
            await conn.execute(
                select(deliveries.c.state, deliveries.c.attempts)
                .where(deliveries.c.delivery_id == target)
                .with_for_update()
            )
        ).one_or_none()
        if found is None:
            new = {"delivery_id": target, "period_start": start, "next_attempt_at": end}
            page.deliveries[target] = row | new
            return target
        if found.state == "pending" and found.attempts == 0:
            return target
        # That period's digest has gone out (or is going): the alert, taken in late, goes
        # in the next period's instead of being lost.
        start, end = period_of(cadence, end)
