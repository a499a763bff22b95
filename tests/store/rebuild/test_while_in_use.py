"""A rebuild while the ledger is in use: appends made during it are in the views it swaps in,
and a reader never sees an article missing or shrunk."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.domain.commands import PostComment, SubmitRating
from ledger.projections.projector import checkpoint
from ledger.replay.rebuild import rebuild, verify_projections
from ledger.store.records import AppendResult
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases.service import EvidenceLedger
from ledger.use_cases.sql_views import sql_ledger
from tests.store.ledgers import bulk_comments, rater, subscriber, view
from tests.store.rebuild.history import BULK, WRITER_RATERS
from tests.store.writers import LetsAWriterInAfterReading, separate_stores


@dataclass
class Writer:
    """Keeps rating and commenting through a store of its own until told to stop."""

    ledger: EvidenceLedger
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    ratings: list[AppendResult] = field(default_factory=list)
    comments: list[AppendResult] = field(default_factory=list)

    async def run(self) -> None:
        number = 0
        while not self.stop.is_set():
            if number < len(WRITER_RATERS) and number % 2 == 0:
                rater_id = WRITER_RATERS[number]
                result = await self.ledger.execute(
                    SubmitRating("a2", rater_id, 3 + number % 5, 7 - number % 7),
                    actor=rater(rater_id),
                )
                self.ratings.append(result)
            else:
                author = f"writer-{number}"
                result = await self.ledger.execute(
                    PostComment("a3", author, f"Written during the rebuild, #{number}"),
                    actor=subscriber(author),
                )
                self.comments.append(result)
            number += 1
            self.started.set()
            # A pause between commands, as any real writer makes. Without it this process's
            # writer takes SQLite's lock again the moment it lets go, and the rebuild (another
            # connection, waiting in SQLite's busy handler, which polls) can starve past its
            # busy timeout on a loaded machine: SQLite has no queue between connections.
            await asyncio.sleep(0.005)


@pytest.mark.parametrize("partitions", [1, 2])
async def test_a_rebuild_while_a_writer_appends_swaps_in_views_at_the_head(
    database_url: str, store: SQLEventStore, engine: AsyncEngine, partitions: int
) -> None:
    await bulk_comments(store, "a1", BULK)
    before = await view(engine, "a2")
    assert before is not None
    [physician_before] = [s for s in before.discipline_scores if s.discipline == "Physician"]

    async with separate_stores(database_url, 1) as [own_store]:
        writer = Writer(sql_ledger(own_store))
        task = asyncio.create_task(writer.run())
        try:
            await writer.started.wait()
            started_at = (await store.head()).position
            report = await rebuild(store, partitions=partitions)
            assert report.partitions == partitions
        finally:
            writer.stop.set()  # a failed rebuild must not leave the writer running for ever
            await task

    assert report.position > started_at, "nothing was appended while the rebuild ran"
    head = await store.head()
    async with engine.connect() as conn:
        assert await checkpoint(conn) == head.position
    verified = await verify_projections(store)
    assert verified.ok, verified.mismatches
    assert verified.position == head.position

    after = await view(engine, "a2")
    assert after is not None
    [physician_after] = [s for s in after.discipline_scores if s.discipline == "Physician"]
    assert physician_after.rating_count == physician_before.rating_count + len(writer.ratings)
    commented = await view(engine, "a3")
    assert commented is not None
    bodies = {c.body for c in commented.subscriber_comments}
    written = {str(result.events[0].payload["body"]) for result in writer.comments if result.events}
    assert written
    assert written <= bodies


async def test_appends_made_after_the_replay_read_the_log_are_caught_up_before_the_swap(
    database_url: str, store: SQLEventStore, engine: AsyncEngine
) -> None:
    before = await view(engine, "a2")
    assert before is not None
    written: list[AppendResult] = []

    async with separate_stores(database_url, 1) as [own_store]:
        other = sql_ledger(own_store)

        async def writer() -> None:
            for rater_id in WRITER_RATERS[:3]:
                written.append(
                    await other.execute(SubmitRating("a2", rater_id, 7, 7), actor=rater(rater_id))
                )
            written.append(
                await other.execute(PostComment("a2", "s9", "Late"), actor=subscriber("s9"))
            )

        report = await rebuild(LetsAWriterInAfterReading(engine, writer))

    head = await store.head()
    assert [r.last_position for r in written] == list(range(head.position - 3, head.position + 1))
    assert report.position == head.position
    async with engine.connect() as conn:
        assert await checkpoint(conn) == head.position
    verified = await verify_projections(store)
    assert verified.ok, verified.mismatches
    after = await view(engine, "a2")
    assert after is not None
    counts = {s.discipline: s.rating_count for s in after.discipline_scores}
    assert (
        counts["Physician"]
        == {s.discipline: s.rating_count for s in before.discipline_scores}["Physician"] + 3
    )
    assert [c.body for c in after.subscriber_comments][-1] == "Late"


@dataclass(frozen=True)
class Observation:
    found: bool
    physician_ratings: int
    comments: int


async def test_a_reader_during_a_rebuild_never_sees_an_article_missing_or_shrunk(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    await bulk_comments(store, "a1", BULK)
    start = await view(engine, "a1")
    assert start is not None
    ratings = {s.discipline: s.rating_count for s in start.discipline_scores}["Physician"]
    comments = len(start.subscriber_comments)
    observations: list[Observation] = []
    done = asyncio.Event()

    async def reader() -> None:
        while not done.is_set():
            seen = await view(engine, "a1")
            if seen is None:
                observations.append(Observation(False, 0, 0))
            else:
                counts = {s.discipline: s.rating_count for s in seen.discipline_scores}
                observations.append(
                    Observation(True, counts.get("Physician", 0), len(seen.subscriber_comments))
                )
            await asyncio.sleep(0)

    task = asyncio.create_task(reader())
    try:
        await rebuild(store)
    finally:
        done.set()
        await task

    assert len(observations) > 1, "the reader never ran during the rebuild"
    assert all(o.found for o in observations), "the article went missing"
    assert min(o.physician_ratings for o in observations) >= ratings
    assert min(o.comments for o in observations) >= comments
    assert await view(engine, "a1") == start
