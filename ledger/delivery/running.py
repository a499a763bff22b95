"""A deliverer made from the settings (webhooks always; email when SMTP and the unsubscribe
secret are set), for ``evidence-ledger deliver`` and for the background of ``serve``."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.delivery.backoff import Random
from ledger.delivery.deliverer import Clock, Deliverer, Send, utc_now
from ledger.delivery.mail import EmailSender
from ledger.delivery.settings import DeliverySettings
from ledger.delivery.webhooks import WebhookSender
from ledger.domain.scores import ScorePolicy

__all__ = ["deliverer_of", "delivering_in_background"]


@asynccontextmanager
async def deliverer_of(
    engine: AsyncEngine,
    settings: DeliverySettings,
    *,
    policy: ScorePolicy | None = None,
    clock: Clock = utc_now,
    jitter: Random = random.random,
) -> AsyncIterator[Deliverer]:
    async with httpx.AsyncClient(timeout=settings.webhook_timeout_seconds) as client:
        senders: dict[str, Send] = {"webhook": WebhookSender(client, settings.public_url).send}
        if settings.smtp is not None and settings.unsubscribe_secret:
            email = EmailSender(settings.smtp, settings.public_url, settings.unsubscribe_secret)
            senders["email"] = email.send
        yield Deliverer(
            engine, settings, senders, clock=clock, random=jitter, policy=policy or ScorePolicy()
        )


@asynccontextmanager
async def delivering_in_background(
    engine: AsyncEngine,
    settings: DeliverySettings,
    policy: ScorePolicy | None = None,
    moved: asyncio.Event | None = None,
) -> AsyncIterator[None]:
    """A deliverer watching while the body runs (a pass at once whenever ``moved`` is set);
    stopped after its pass when it ends."""
    stop = asyncio.Event()
    async with deliverer_of(engine, settings, policy=policy) as deliverer:
        watching = asyncio.create_task(deliverer.watch(stop, moved))
        try:
            yield
        finally:
            stop.set()
            await watching
