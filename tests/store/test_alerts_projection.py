"""The alerts projection on SQLite and PostgreSQL: a rebuild gives the same alerts and a
verification agrees; an alert commits with the event that made it due, or neither does;
a projection behind the log (as after the migration) catches up without repeating one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.domain.alert_rule import ARTICLE, alert_id
from ledger.domain.commands import RegisterArticle, RetractArticle, SetAlertProfile, SubmitRating
from ledger.projections.alerts import alerts_checkpoint
from ledger.projections.tables import live_views
from ledger.replay.rebuild import rebuild, verify_projections
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases.service import EvidenceLedger
from tests.store.ledgers import (
    EDITOR,
    alerts_left_behind,
    citation,
    ledger_with_raters,
    rater,
    subscriber,
)

RATERS = {f"p{n}": "Physician" for n in range(1, 5)} | {f"n{n}": "Nurse" for n in range(1, 4)}


async def due_alerts(engine: AsyncEngine) -> list[dict[str, Any]]:
    table = live_views.due_alerts
    async with engine.connect() as conn:
        rows = await conn.execute(select(table).order_by(table.c.position, table.c.alert_id))
        return [dict(row._mapping) for row in rows]


async def profile(ledger: EvidenceLedger, subscriber_id: str, *disciplines: str) -> None:
    command = SetAlertProfile(subscriber_id, list(disciplines), 5, 4, delivery="none")
    await ledger.execute(command, actor=subscriber(subscriber_id))


async def a_ledger_with_alerts(store: SQLEventStore) -> EvidenceLedger:
    """Two subscribers, three articles: one alerted to both, one retracted after its alert,
    one that never meets the cut-offs."""
    ledger = await ledger_with_raters(store, RATERS)
    await profile(ledger, "s-physician", "Physician")
    await profile(ledger, "s-both", "Nurse", "Physician")
    for article_id in ("a1", "a2", "a3"):
        await ledger.execute(
            RegisterArticle(article_id=article_id, citation=citation(article_id), topics=["T"]),
            actor=EDITOR,
        )
    for rater_id in ("p1", "p2", "p3"):
        await ledger.execute(
            SubmitRating(article_id="a1", rater_id=rater_id, relevance=6, newsworthiness=5),
            actor=rater(rater_id),
        )
        await ledger.execute(
            SubmitRating(article_id="a2", rater_id=rater_id, relevance=5, newsworthiness=4),
            actor=rater(rater_id),
        )
        await ledger.execute(
            SubmitRating(article_id="a3", rater_id=rater_id, relevance=4, newsworthiness=7),
            actor=rater(rater_id),
        )
    await ledger.execute(
        RetractArticle(article_id="a2", reason="retracted by the journal"), actor=EDITOR
    )
    return ledger


async def test_a_rebuild_gives_the_same_alerts_and_a_verification_agrees(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    await a_ledger_with_alerts(store)
    before = await due_alerts(engine)
    kinds = sorted((a["subscriber_id"], a["article_id"], a["kind"]) for a in before)
    assert kinds == [
        ("s-both", "a1", "article"),
        ("s-both", "a2", "article"),
        ("s-both", "a2", "retraction"),
        ("s-physician", "a1", "article"),
        ("s-physician", "a2", "article"),
        ("s-physician", "a2", "retraction"),
    ]

    await rebuild(store)

    assert await due_alerts(engine) == before
    report = await verify_projections(store)
    assert report.ok, report.mismatches
    async with engine.connect() as conn:
        assert await alerts_checkpoint(conn) == (await store.head()).position


async def test_verify_notices_an_alert_missing_from_the_live_projection(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    await a_ledger_with_alerts(store)
    async with engine.begin() as conn:
        table = live_views.due_alerts
        await conn.execute(delete(table).where(table.c.kind == "retraction"))

    report = await verify_projections(store)

    assert not report.ok
    assert {m.table for m in report.mismatches} == {"due_alerts"}


async def test_an_alert_commits_with_the_event_that_made_it_due_or_neither_does(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    ledger = await ledger_with_raters(store, RATERS)
    await profile(ledger, "s1", "Physician")
    await ledger.execute(
        RegisterArticle(article_id="a1", citation=citation(), topics=[]), actor=EDITOR
    )
    for rater_id in ("p1", "p2"):
        await ledger.execute(
            SubmitRating(article_id="a1", rater_id=rater_id, relevance=7, newsworthiness=7),
            actor=rater(rater_id),
        )
    # A row already under the id the next rating's alert will have: its insert must fail.
    taken = {"alert_id": alert_id("s1", "a1", ARTICLE), "subscriber_id": "other"}
    async with engine.begin() as conn:
        await conn.execute(
            insert(live_views.due_alerts).values(
                **taken, article_id="x", kind="article", position=1, due_at=datetime.now(UTC)
            )
        )
    head = await store.head()

    with pytest.raises(IntegrityError):
        await ledger.execute(
            SubmitRating(article_id="a1", rater_id="p3", relevance=7, newsworthiness=7),
            actor=rater("p3"),
        )

    assert await store.head() == head  # the rating was not committed without its alert


async def test_alerts_behind_the_log_catch_up_on_the_next_append_without_repeating_one(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    ledger = await a_ledger_with_alerts(store)
    before = await due_alerts(engine)
    async with engine.begin() as conn:
        await alerts_left_behind(conn)

    await ledger.execute(
        SubmitRating(article_id="a3", rater_id="p4", relevance=4, newsworthiness=7),
        actor=rater("p4"),
    )

    assert await due_alerts(engine) == before
    report = await verify_projections(store)
    assert report.ok, report.mismatches
