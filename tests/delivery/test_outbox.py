"""The outbox on SQLite and PostgreSQL: each due alert taken in once per channel whatever
crashes in between, digests grouping a period's alerts and sent when it ends."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.delivery.deliverer import Deliverer
from ledger.delivery.outbox import fill_outbox, outbox_checkpoint, take_in_page
from ledger.delivery.periods import period_of
from ledger.delivery.secrets import issue_secret_now
from ledger.delivery.settings import DeliverySettings
from ledger.delivery.tables import OUTBOX, delivery_checkpoints, delivery_items
from ledger.delivery.webhooks import WebhookSender
from ledger.domain.scores import ScorePolicy
from ledger.store.db import write_transaction
from ledger.store.sql_store import SQLEventStore
from tests.delivery.histories import (
    FixedClock,
    alerted,
    delivery_rows,
    raters_ledger,
    set_profile,
    webhook_secret,
)
from tests.delivery.receivers import webhook_receiver

HOOK = "http://127.0.0.1:9/hook"


async def item_count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(delivery_items)) or 0)


class Crash(Exception):
    pass


async def test_a_crash_while_taking_in_loses_nothing_and_a_second_take_doubles_nothing(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    ledger = await raters_ledger(store)
    await set_profile(ledger, "s1", webhook_url=HOOK, email="s1@example.org")
    await alerted(ledger, "a1")
    clock = FixedClock()

    with pytest.raises(Crash):
        async with write_transaction(engine) as conn:
            assert await take_in_page(conn, clock(), ScorePolicy()) == (1, False)
            raise Crash
    assert await delivery_rows(engine) == []

    assert await fill_outbox(engine, clock) == 1
    # Taken in again from the start (as after a checkpoint lost): the same ids, no more rows.
    async with engine.begin() as conn:
        await conn.execute(
            update(delivery_checkpoints)
            .where(delivery_checkpoints.c.name == OUTBOX)
            .values(position=0)
        )
    assert await fill_outbox(engine, clock) == 1

    rows = await delivery_rows(engine)
    assert sorted(r["channel"] for r in rows) == ["email", "webhook"]
    assert await item_count(engine) == 2
    async with engine.connect() as conn:
        assert await outbox_checkpoint(conn) == (await store.head()).position


async def test_a_profile_that_sends_nothing_makes_no_delivery(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    ledger = await raters_ledger(store)
    await set_profile(ledger, "s1", delivery="none")
    await alerted(ledger, "a1")

    assert await fill_outbox(engine, FixedClock()) == 1
    assert await delivery_rows(engine) == []


async def test_a_daily_digest_groups_the_days_alerts_and_goes_when_the_day_ends(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    ledger = await raters_ledger(store)
    clock = FixedClock()
    with webhook_receiver() as receiver:
        await set_profile(ledger, "s1", delivery="daily", webhook_url=receiver.url)
        await alerted(ledger, "a1", "First trial")
        await alerted(ledger, "a2", "Second trial")
        settings = DeliverySettings(public_url="https://x.example")
        async with httpx.AsyncClient() as client:
            sender = WebhookSender(client, settings.public_url)
            deliverer = Deliverer(engine, settings, {"webhook": sender.send}, clock=clock)
            early = await deliverer.run_once()
            [row] = await delivery_rows(engine)
            clock.at = row["next_attempt_at"]
            on_time = await deliverer.run_once()

    assert (early.taken_in, early.delivered, on_time.delivered) == (2, 0, 1)
    start, end = period_of("daily", row["created_at"])
    assert (row["period_start"], row["next_attempt_at"]) == (start, end)
    [request] = receiver.requests
    assert request.json["type"] == "digest"
    assert request.json["periodStart"] == start.isoformat()
    assert [a["articleId"] for a in request.json["alerts"]] == ["a1", "a2"]


async def test_an_alert_taken_in_after_its_days_digest_went_joins_the_next_one(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    ledger = await raters_ledger(store)
    await set_profile(ledger, "s1", delivery="daily", webhook_url=HOOK)
    await alerted(ledger, "a1")
    clock = FixedClock()
    await fill_outbox(engine, clock)
    [first] = await delivery_rows(engine)
    async with engine.begin() as conn:  # that day's digest has gone
        await conn.execute(
            update(delivery_items.metadata.tables["deliveries"]).values(
                state="delivered", attempts=1
            )
        )

    await alerted(ledger, "a2")
    await fill_outbox(engine, clock)

    rows = await delivery_rows(engine)
    assert len(rows) == 2
    later = next(r for r in rows if r["delivery_id"] != first["delivery_id"])
    assert later["period_start"] == first["period_start"] + timedelta(days=1)
    assert await item_count(engine) == 2


async def test_appends_that_make_no_alert_leave_the_outbox_as_it_was(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    """A pass after appends that made no alert due writes nothing (so it takes no write
    lock); the next alert is taken in past them all the same."""
    ledger = await raters_ledger(store)
    clock = FixedClock()
    await fill_outbox(engine, clock)
    async with engine.connect() as conn:
        before = await outbox_checkpoint(conn)
    await set_profile(ledger, "s1", webhook_url=HOOK)  # an append, and no alert due

    assert (await store.head()).position > before
    assert await fill_outbox(engine, clock) == 0
    async with engine.connect() as conn:
        assert await outbox_checkpoint(conn) == before

    await alerted(ledger, "a1")
    assert await fill_outbox(engine, clock) == 1
    async with engine.connect() as conn:
        assert await outbox_checkpoint(conn) == (await store.head()).position


async def test_taking_in_gives_a_secret_to_webhook_subscribers_without_one_and_keeps_the_rest(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    """Profiles written without the API (which shows a new secret at once) get their
    webhook's secret when their first alert is taken in; one already shown stays."""
    ledger = await raters_ledger(store)
    await set_profile(ledger, "s1", webhook_url=HOOK)
    await set_profile(ledger, "s2", webhook_url=HOOK)
    clock = FixedClock()
    shown = await issue_secret_now(engine, "s1", clock())
    assert shown is not None

    await alerted(ledger, "a1")
    assert await fill_outbox(engine, clock) == 2
    given = await webhook_secret(engine, "s2")
    assert given.startswith("whsec_")
    assert given != shown
    assert await webhook_secret(engine, "s1") == shown

    await alerted(ledger, "a2")
    assert await fill_outbox(engine, clock) == 2
    assert (await webhook_secret(engine, "s1"), await webhook_secret(engine, "s2")) == (
        shown,
        given,
    )
