"""The deliverer watching appends: a stream of appends is taken in by a pass every so often
(``pass_gap_seconds``), not a pass per append, and what falls due still goes out at once."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.delivery.deliverer import Deliverer, PassReport
from ledger.delivery.settings import DeliverySettings
from ledger.delivery.webhooks import WebhookSender
from ledger.domain.commands import PostComment, RegisterArticle
from ledger.store.sql_store import SQLEventStore
from tests.delivery.histories import alerted, raters_ledger, set_profile
from tests.delivery.receivers import webhook_receiver
from tests.store.ledgers import EDITOR, citation, subscriber

APPENDS = 40


class CountedDeliverer(Deliverer):
    """The deliverer, counting its passes."""

    passes = 0

    async def run_once(self) -> PassReport:
        self.passes += 1
        return await super().run_once()


async def test_a_stream_of_appends_is_delivered_by_a_pass_every_gap_not_one_per_append(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    ledger = await raters_ledger(store)
    await ledger.execute(
        RegisterArticle(article_id="busy", citation=citation("Busy"), topics=["T"]), actor=EDITOR
    )
    settings = DeliverySettings(interval_seconds=3600.0, pass_gap_seconds=0.2)
    stop, moved = asyncio.Event(), asyncio.Event()
    with webhook_receiver() as receiver:
        await set_profile(ledger, "s1", webhook_url=receiver.url)
        async with httpx.AsyncClient() as client:
            sender = WebhookSender(client, settings.public_url)
            deliverer = CountedDeliverer(engine, settings, {"webhook": sender.send})
            watching = asyncio.create_task(deliverer.watch(stop, moved))
            try:
                began = time.monotonic()
                for note in range(APPENDS):  # comments: appends that alert no one
                    await ledger.execute(
                        PostComment(article_id="busy", author_id="s1", body=f"Note {note}"),
                        actor=subscriber("s1"),
                    )
                    moved.set()
                    await asyncio.sleep(0.01)
                elapsed = time.monotonic() - began
                # One at start, then at most one per gap while the appends lasted (a pass per
                # append would be some 40 in a second or so).
                assert deliverer.passes <= 2 + elapsed / 0.2, (deliverer.passes, elapsed)

                await alerted(ledger, "a1")  # the last append of the stream makes one due
                moved.set()
                deadline = time.monotonic() + 30
                while not receiver.requests:
                    if time.monotonic() > deadline:
                        pytest.fail("the alert was not delivered after the stream of appends")
                    await asyncio.sleep(0.02)
            finally:
                stop.set()
                await watching
    [webhook] = receiver.requests
    assert (webhook.json["type"], webhook.json["alert"]["articleId"]) == ("alert", "a1")
