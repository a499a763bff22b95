"""Ledgers where alerts fall due: raters, a subscriber's profile, articles rated past it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.delivery.secrets import secret_of
from ledger.delivery.tables import deliveries
from ledger.domain.commands import RegisterArticle, SetAlertProfile, SubmitRating
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases.service import EvidenceLedger
from tests.store.ledgers import EDITOR, citation, ledger_with_raters, rater, subscriber

__all__ = ["FixedClock", "alerted", "delivery_rows", "raters_ledger", "webhook_secret"]

RATERS = {f"p{n}": "Physician" for n in range(1, 4)}


class FixedClock:
    """The deliverer's clock, moved only by the test."""

    def __init__(self, at: datetime | None = None) -> None:
        self.at = at or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


async def raters_ledger(store: SQLEventStore) -> EvidenceLedger:
    return await ledger_with_raters(store, RATERS)


async def set_profile(
    ledger: EvidenceLedger,
    subscriber_id: str,
    *,
    delivery: str = "immediate",
    webhook_url: str | None = None,
    email: str | None = None,
) -> None:
    command = SetAlertProfile(
        subscriber_id,
        ["Physician"],
        5,
        4,
        delivery=delivery,
        webhook_url=webhook_url,
        email=email,
    )
    await ledger.execute(command, actor=subscriber(subscriber_id))


async def alerted(ledger: EvidenceLedger, article_id: str, title: str = "A trial") -> None:
    """Register ``article_id`` and rate it past the profiles' cut-offs (6 and 5, three times)."""
    await ledger.execute(
        RegisterArticle(article_id=article_id, citation=citation(title), topics=["T"]),
        actor=EDITOR,
    )
    for rater_id in RATERS:
        await ledger.execute(
            SubmitRating(article_id=article_id, rater_id=rater_id, relevance=6, newsworthiness=5),
            actor=rater(rater_id),
        )


async def delivery_rows(engine: AsyncEngine) -> list[dict[str, object]]:
    async with engine.connect() as conn:
        query = select(deliveries).order_by(deliveries.c.created_at, deliveries.c.delivery_id)
        return [dict(row) for row in (await conn.execute(query)).mappings()]


async def webhook_secret(engine: AsyncEngine, subscriber_id: str) -> str:
    async with engine.connect() as conn:
        found = await secret_of(conn, subscriber_id)
    assert found is not None
    return found
