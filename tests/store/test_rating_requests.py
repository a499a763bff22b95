"""Rating requests on SQLite and PostgreSQL: the pool read in the command's transaction, the
queue after each step of a controllable clock, and a rebuild and a verification that agree
with requests, profiles and assignments present."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.domain.commands import (
    AssignDisciplines,
    EnrolRater,
    PauseRatingRequests,
    RegisterDiscipline,
    SetRaterProfile,
    SubmitRating,
)
from ledger.projections.tables import live_views
from ledger.read.requests import article_requests, assigned_disciplines, rater_queue
from ledger.replay.rebuild import rebuild, verify_projections
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases.service import EvidenceLedger
from ledger.use_cases.sql_views import sql_ledger
from tests.store.ledgers import EDITOR, rater, register

START = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


async def a_ledger(store: SQLEventStore, clock: Clock) -> EvidenceLedger:
    ledger = sql_ledger(store, clock=clock)
    for name in ("Physician", "Nurse"):
        await ledger.execute(RegisterDiscipline(name), actor=EDITOR)
    for i in range(1, 7):
        await ledger.execute(EnrolRater(rater_id=f"p{i}", discipline="Physician"), actor=EDITOR)
    for i in range(1, 4):
        await ledger.execute(EnrolRater(rater_id=f"n{i}", discipline="Nurse"), actor=EDITOR)
    await ledger.execute(SetRaterProfile("n1", ["Children"], 2), actor=rater("n1"))
    await ledger.execute(PauseRatingRequests("p6"), actor=rater("p6"))
    for article_id in ("a1", "a2"):
        await register(ledger, article_id)
    return ledger


async def queue(engine: AsyncEngine, rater_id: str) -> list[tuple[str, str]]:
    async with engine.connect() as conn:
        return [(r.article_id, r.due) for r in await rater_queue(conn, rater_id)]


async def statuses(engine: AsyncEngine, article_id: str) -> dict[str, str]:
    async with engine.connect() as conn:
        return {r.rater_id: r.status for r in await article_requests(conn, article_id)}


async def asked(engine: AsyncEngine, article_id: str) -> list[str]:
    return sorted(await statuses(engine, article_id))


async def rows(engine: AsyncEngine) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    async with engine.connect() as conn:
        for table in live_views.requests():
            key = list(table.primary_key.columns)
            found += [dict(r._mapping) for r in await conn.execute(select(table).order_by(*key))]
    return found


async def test_requests_expire_and_are_replaced_and_the_queue_follows(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    clock = Clock()
    ledger = await a_ledger(store, clock)
    await ledger.execute(
        AssignDisciplines("a1", ["Physician", "Nurse"], ["Children"]), actor=EDITOR
    )
    assert await statuses(engine, "a1") == {
        "p1": "open", "p2": "open", "p3": "open", "p4": "open",
        "n1": "open", "n2": "open", "n3": "open",
    }  # fmt: skip
    async with engine.connect() as conn:
        assert await assigned_disciplines(conn, "a1") == ("Physician", "Nurse")
    assert await queue(engine, "p1") == [("a1", "2026-12-20T09:00:00Z")]

    clock.now = START + timedelta(days=2)
    await ledger.execute(AssignDisciplines("a2", ["Physician"]), actor=EDITOR)
    assert await queue(engine, "p1") == [
        ("a1", "2026-12-20T09:00:00Z"),
        ("a2", "2026-12-22T09:00:00Z"),
    ]
    await ledger.execute(SubmitRating("a1", "p1", 6, 5), actor=rater("p1"))
    assert await queue(engine, "p1") == [("a2", "2026-12-22T09:00:00Z")]
    # One rating of three, three requests open: p5, the one physician left (p6 is paused),
    # is asked in the rating's own append.
    assert await queue(engine, "p5") == [
        ("a1", "2026-12-22T09:00:00Z"),
        ("a2", "2026-12-22T09:00:00Z"),
    ]

    clock.now = START + timedelta(days=14)
    expired = await ledger.expire_requests(actor=EDITOR, idempotency_key="expire-1")
    assert [r.article_id for r in expired] == ["a1"]
    after = await statuses(engine, "a1")
    assert after["p1"] == "answered"
    assert after["p2"] == "expired"
    assert after["n1"] == "expired"
    assert after["p5"] == "open"  # due a day later
    assert "p6" not in after  # paused: never asked, and nobody else is left to ask
    assert await queue(engine, "p2") == [("a2", "2026-12-22T09:00:00Z")]
    retried = await ledger.expire_requests(actor=EDITOR, idempotency_key="expire-1")
    assert [(r.article_id, r.replayed) for r in retried] == [("a1", True)]
    assert await statuses(engine, "a1") == after

    before = await rows(engine)
    await rebuild(store)
    assert await rows(engine) == before
    report = await verify_projections(store)
    assert report.ok, report.mismatches


async def test_verify_notices_a_request_missing_from_the_live_projection(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    ledger = await a_ledger(store, Clock())
    await ledger.execute(AssignDisciplines("a1", ["Physician"]), actor=EDITOR)
    async with engine.begin() as conn:
        table = live_views.rating_requests
        await conn.execute(delete(table).where(table.c.rater_id == "p2"))

    report = await verify_projections(store)

    assert not report.ok
    assert {m.table for m in report.mismatches} == {"rating_requests"}


async def test_two_sweeps_racing_under_one_key_do_one_sweep(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    """Two sweeps sent at once with one key (a client retrying over a slow link) keep one
    sweep between them: each article is expired once, and both hear the same articles."""
    clock = Clock()
    ledger = await a_ledger(store, clock)
    for article_id in ("a1", "a2"):
        await ledger.execute(AssignDisciplines(article_id, ["Physician"]), actor=EDITOR)
    clock.now = START + timedelta(days=15)
    head = (await store.head()).position

    first, second = await asyncio.gather(
        ledger.expire_requests(actor=EDITOR, idempotency_key="nightly"),
        ledger.expire_requests(actor=EDITOR, idempotency_key="nightly"),
    )
    assert [r.article_id for r in first] == [r.article_id for r in second] == ["a1", "a2"]
    # Each article's append made once: the other sweep was answered with it.
    made = [r for r in (*first, *second) if not r.replayed]
    assert sorted(r.article_id for r in made) == ["a1", "a2"]
    expired = [e for e in await store.read_all(after=head) if e.type == "RatingRequestExpired"]
    assert len(expired) == len({(e.payload["article_id"], e.payload["rater_id"]) for e in expired})
    assert {e.payload["article_id"] for e in expired} == {"a1", "a2"}

    # The same key a month later, when a3's requests are overdue too: still that one sweep.
    await register(ledger, "a3")
    await ledger.execute(AssignDisciplines("a3", ["Physician"]), actor=EDITOR)
    clock.now = START + timedelta(days=45)
    later = await ledger.expire_requests(actor=EDITOR, idempotency_key="nightly")
    assert [(r.article_id, r.replayed) for r in later] == [("a1", True), ("a2", True)]
    assert len(await asked(engine, "a3")) == 4
    assert set((await statuses(engine, "a3")).values()) == {"open"}  # due, but not this sweep's
