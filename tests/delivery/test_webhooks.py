"""Webhooks over real HTTP on SQLite and PostgreSQL: the alert arrives signed, once; a
receiver that fails is tried again after growing delays, and one that never answers well
ends among the dead."""

from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.delivery import BadSignature, verify_signature
from ledger.delivery.backoff import Backoff
from ledger.delivery.deliverer import Deliverer
from ledger.delivery.settings import DeliverySettings
from ledger.delivery.webhooks import WebhookSender
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

PUBLIC = "https://ledger.example.org"


def deliverer(
    engine: AsyncEngine,
    client: httpx.AsyncClient,
    clock: FixedClock,
    *,
    max_attempts: int = 8,
) -> Deliverer:
    settings = DeliverySettings(
        public_url=PUBLIC,
        backoff=Backoff(base_seconds=30, cap_seconds=3600, max_attempts=max_attempts),
    )
    sender = WebhookSender(client, PUBLIC)
    # Half the ceiling every time: the delays are fixed, and still jittered by the formula.
    return Deliverer(engine, settings, {"webhook": sender.send}, clock=clock, random=lambda: 0.5)


async def test_an_alert_arrives_once_signed_with_the_subscribers_secret(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    ledger = await raters_ledger(store)
    with webhook_receiver() as receiver:
        await set_profile(ledger, "s1", webhook_url=receiver.url)
        await alerted(ledger, "a1", "Exercise for back pain")
        async with httpx.AsyncClient() as client:
            first = await deliverer(engine, client, FixedClock()).run_once()
            again = await deliverer(engine, client, FixedClock()).run_once()

    assert (first.taken_in, first.delivered, again.taken_in, again.delivered) == (1, 1, 0, 0)
    [request] = receiver.requests
    secret = await webhook_secret(engine, "s1")
    header = request.headers["Evidence-Ledger-Signature"]
    verify_signature(secret, request.body, header, now=time.time())
    with pytest.raises(BadSignature):
        verify_signature(secret, request.body + b" ", header, now=time.time())
    with pytest.raises(BadSignature):
        verify_signature(secret, request.body, header, now=time.time() + 3600)
    alert = request.json["alert"]
    assert request.json["type"] == "alert"
    assert request.json["deliveryId"] == request.headers["Evidence-Ledger-Delivery"]
    assert alert["kind"] == "article"
    assert alert["articleId"] == "a1"
    assert "Exercise for back pain" in alert["citation"]
    assert (alert["discipline"], alert["score"], alert["ratingCount"]) == ("Physician", 6, 3)
    assert alert["link"] == f"{PUBLIC}/articles/a1"
    [row] = await delivery_rows(engine)
    assert (row["state"], row["attempts"], row["delivery_id"]) == (
        "delivered",
        1,
        request.json["deliveryId"],
    )


async def test_a_failing_receiver_is_tried_again_after_growing_delays(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    ledger = await raters_ledger(store)
    clock = FixedClock()
    start = clock.at
    with webhook_receiver(failures=3) as receiver:
        await set_profile(ledger, "s1", webhook_url=receiver.url)
        await alerted(ledger, "a1")
        async with httpx.AsyncClient() as client:
            scheduled = []
            for _ in range(3):
                report = await deliverer(engine, client, clock).run_once()
                assert report.failed == 1
                [row] = await delivery_rows(engine)
                scheduled.append((row["next_attempt_at"] - start).total_seconds())
                # Not yet due: a pass now sends nothing.
                assert (await deliverer(engine, client, clock).run_once()).failed == 0
                clock.at = row["next_attempt_at"]
            assert (await deliverer(engine, client, clock).run_once()).delivered == 1

    # Half of 30, 60 and 120 seconds after each failure: 15, then 15 + 30, then 45 + 60.
    assert scheduled == [15.0, 45.0, 105.0]
    assert len(receiver.requests) == 4
    assert len({r.json["deliveryId"] for r in receiver.requests}) == 1
    [row] = await delivery_rows(engine)
    assert (row["state"], row["attempts"], row["last_error"]) == ("delivered", 4, None)


async def test_a_receiver_that_always_fails_leaves_the_delivery_dead(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    ledger = await raters_ledger(store)
    clock = FixedClock()
    with webhook_receiver(failures=None) as receiver:
        await set_profile(ledger, "s1", webhook_url=receiver.url)
        await alerted(ledger, "a1")
        async with httpx.AsyncClient() as client:
            for _ in range(5):
                await deliverer(engine, client, clock, max_attempts=3).run_once()
                clock.advance(hours=1)

    assert len(receiver.requests) == 3
    [row] = await delivery_rows(engine)
    assert (row["state"], row["attempts"], row["last_error"]) == ("dead", 3, "HTTP 500")
