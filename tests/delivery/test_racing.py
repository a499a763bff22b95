"""Deliverers racing on one database: each delivery is sent once (the receiver counts ids).

On PostgreSQL, claims take due rows ``FOR UPDATE SKIP LOCKED`` and push them a lease ahead,
so two deliverers in two engines (as two processes would have) take different ones; on
SQLite the write lock puts their claims in turn.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.delivery.deliverer import Deliverer
from ledger.delivery.settings import DeliverySettings
from ledger.delivery.webhooks import WebhookSender
from ledger.domain.commands import SetAlertProfile
from ledger.store.db import create_engine
from ledger.store.sql_store import SQLEventStore
from tests.delivery.histories import alerted, delivery_rows, raters_ledger
from tests.delivery.receivers import webhook_receiver
from tests.store.ledgers import subscriber

SUBSCRIBERS = 6
ARTICLES = 5


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
async def test_two_deliverers_racing_send_each_delivery_once(
    store: SQLEventStore, engine: AsyncEngine, database_url: str
) -> None:
    ledger = await raters_ledger(store)
    other = create_engine(database_url)
    try:
        with webhook_receiver() as receiver:
            for n in range(SUBSCRIBERS):
                command = SetAlertProfile(f"s{n}", ["Physician"], 1, 1, webhook_url=receiver.url)
                await ledger.execute(command, actor=subscriber(f"s{n}"))
            for n in range(ARTICLES):
                await alerted(ledger, f"a{n}")
            # Small batches, so that the two take turns many times over the same rows.
            settings = DeliverySettings(batch=3)
            async with httpx.AsyncClient() as client:
                send = WebhookSender(client, settings.public_url).send
                racing = [Deliverer(e, settings, {"webhook": send}) for e in (engine, other)]
                reports = await asyncio.gather(*(d.run_once() for d in racing))
    finally:
        await other.dispose()

    expected = SUBSCRIBERS * ARTICLES
    assert sum(r.delivered for r in reports) == expected
    assert len(receiver.requests) == expected
    assert sorted(set(receiver.accepted.values())) == [1]
    assert len(receiver.accepted) == expected
    rows = await delivery_rows(engine)
    assert {(r["state"], r["attempts"]) for r in rows} == {("delivered", 1)}
