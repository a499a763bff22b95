"""Rebuilding the live views from the log, and proving they equal a replay."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from typer.testing import CliRunner

from graph.app import create_app
from graph.cli.main import app
from graph.settings import Settings
from ledger.domain.errors import UnknownEventTypeStored
from ledger.domain.events import REGISTRY, DomainEvent, EventRegistry
from ledger.projections.projector import Projector, checkpoint
from ledger.projections.tables import live_views
from ledger.replay import windows
from ledger.replay.fresh import fresh_views
from ledger.replay.pipeline import flush, replay_log
from ledger.replay.processes import MAX_PARTITIONS, PARALLEL_FROM, Partition, partition_count
from ledger.replay.rebuild import rebuild, verify_projections
from ledger.replay.verify import compare_tables
from ledger.replay.working_set import Replay
from ledger.store.db import create_engine
from ledger.store.event_store import READ_PAGE
from ledger.store.records import AppendResult, NewEvent, RecordedEvent
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases.service import EvidenceLedger
from tests.e2e.test_serve import CONSOLE_SCRIPT, child_environment
from tests.store.ledgers import (
    EDITOR,
    bulk_comments,
    ledger_with_raters,
    rater,
    register,
    subscriber,
    view,
    view_tables_dump,
)
from tests.store.test_migrations import compare
from tests.store.writers import separate_stores

ARTICLES = ["a1", "a2", "a3", "a4", "a5"]
RATERS = {
    **{f"p{n}": "Physician" for n in range(1, 5)},
    **{f"n{n}": "Nurse" for n in range(1, 4)},
}
WRITER_RATERS = [f"w{n}" for n in range(40)]
BULK = 3000  # enough history that a rebuild takes a while


async def populate(store: SQLEventStore) -> EvidenceLedger:
    """A few articles with ratings, revisions, withdrawals, comments and moderation."""
    ledger = await ledger_with_raters(
        store, {**RATERS, **dict.fromkeys(WRITER_RATERS, "Physician")}
    )
    for number, article_id in enumerate(ARTICLES, start=1):
        await register(
            ledger,
            article_id,
            topics=["Back Pain", f"Topic {number % 2}"],
            published_on=f"202{number}-01-0{number}",
        )
        for index, rater_id in enumerate(RATERS):
            if (index + number) % 3 == 0:
                continue
            relevance, newsworthiness = 1 + (index + number) % 7, 1 + (index * number) % 7
            comment = f"{rater_id} on {article_id}" if index % 2 == 0 else None
            await ledger.submit_rating(
                article_id, rater_id, relevance, newsworthiness, comment, actor=rater(rater_id)
            )
        posted = await ledger.post_comment(
            article_id, "s1", f"Comment on {article_id}", actor=subscriber("s1")
        )
        await ledger.post_comment(article_id, "s2", "Second thoughts", actor=subscriber("s2"))
        if number % 2:
            comment_id = str(posted.events[0].payload["comment_id"])
            await ledger.hide_comment(article_id, comment_id, "off topic", actor=EDITOR)
    await ledger.revise_rating("a1", "p2", 7, 7, "Changed my mind", actor=rater("p2"))
    await ledger.withdraw_rating("a2", "p1", actor=rater("p1"))
    await ledger.correct_article("a3", {"title": "A corrected title"}, "erratum", actor=EDITOR)
    await ledger.change_topics("a4", ["Sciatica"], actor=EDITOR)
    await ledger.retract_article("a5", "misconduct", actor=EDITOR)
    return ledger


async def all_views(engine: AsyncEngine) -> dict[str, object]:
    views = {}
    for article_id in ARTICLES:
        views[article_id] = await view(engine, article_id, include_hidden=True)
    return views


# One process; the articles split in two and three (a1..a5 end in digits of both parities,
# every residue mod 3), each partition in a process of its own.
PARTITIONS = [1, 2, 3]


@pytest.mark.parametrize("partitions", PARTITIONS)
async def test_a_rebuild_reproduces_the_views_it_replaces(
    store: SQLEventStore, engine: AsyncEngine, partitions: int
) -> None:
    await populate(store)
    views = await all_views(engine)
    tables = await view_tables_dump(engine)
    head = await store.head()

    report = await rebuild(store, partitions=partitions)

    assert (report.events, report.position) == (head.position, head.position)
    assert report.partitions == partitions, "the replay did not run in the partitions asked for"
    assert report.events_per_second > 0
    verified = await verify_projections(store, partitions=partitions)
    assert verified.ok, verified.mismatches
    assert verified.position == head.position
    assert await all_views(engine) == views
    assert await view_tables_dump(engine) == tables
    async with engine.connect() as conn:
        assert await checkpoint(conn) == head.position


@pytest.mark.parametrize("partitions", [1, 2])
async def test_a_rebuild_leaves_the_schema_the_migrations_made(
    store: SQLEventStore, engine: AsyncEngine, partitions: int
) -> None:
    """The swapped-in tables have every index and constraint of the models, under the live
    names (the fresh tables get their secondary indexes only after the replay)."""
    await populate(store)

    await rebuild(store, partitions=partitions)

    assert await compare(engine) == []


@pytest.mark.parametrize("partitions", PARTITIONS)
async def test_a_rebuild_reports_its_progress_up_to_the_head(
    store: SQLEventStore, partitions: int
) -> None:
    await populate(store)
    head = await store.head()
    advanced: list[int] = []

    await rebuild(store, progress=advanced.append, partitions=partitions)

    assert sum(advanced) == head.position
    assert all(step > 0 for step in advanced)


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
                result = await self.ledger.submit_rating(
                    "a2", rater_id, 1 + number % 7, 7 - number % 7, actor=rater(rater_id)
                )
                self.ratings.append(result)
            else:
                author = f"writer-{number}"
                result = await self.ledger.post_comment(
                    "a3", author, f"Written during the rebuild, #{number}", actor=subscriber(author)
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
    await populate(store)
    await bulk_comments(store, "a1", BULK)
    before = await view(engine, "a2")
    assert before is not None
    [physician_before] = [s for s in before.discipline_scores if s.discipline == "Physician"]

    async with separate_stores(database_url, 1) as [own_store]:
        writer = Writer(EvidenceLedger(own_store))
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


class LetsAWriterInAfterReading(SQLEventStore):
    """A real store that, once the replay has read the whole log (its last page is empty),
    lets a writer append before the rebuild goes on: the appends land after the replay and
    before the swap."""

    def __init__(self, engine: AsyncEngine, writer: Callable[[], Awaitable[None]]) -> None:
        super().__init__(engine)
        self.writer = writer
        self.let_in = False

    async def read_all(self, after: int = 0, limit: int = READ_PAGE) -> list[RecordedEvent]:
        page = await super().read_all(after, limit)
        if not page and not self.let_in:
            self.let_in = True
            await self.writer()
        return page


async def test_appends_made_after_the_replay_read_the_log_are_caught_up_before_the_swap(
    database_url: str, store: SQLEventStore, engine: AsyncEngine
) -> None:
    await populate(store)
    before = await view(engine, "a2")
    assert before is not None
    written: list[AppendResult] = []

    async with separate_stores(database_url, 1) as [own_store]:
        other = EvidenceLedger(own_store)

        async def writer() -> None:
            for rater_id in WRITER_RATERS[:3]:
                written.append(
                    await other.submit_rating("a2", rater_id, 7, 7, actor=rater(rater_id))
                )
            written.append(await other.post_comment("a2", "s9", "Late", actor=subscriber("s9")))

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
    await populate(store)
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


TAMPERING = [
    (
        "discipline_scores",
        "UPDATE discipline_scores SET relevance_sum = relevance_sum + 1 "
        "WHERE article_id IN ('a3', 'a4') AND discipline = 'Physician'",
    ),
    ("article_views", "UPDATE article_views SET title = 'Tampered' WHERE article_id = 'a3'"),
    (
        "article_topics",
        "INSERT INTO article_topics (article_id, topic, ordinal, topic_key)"
        " VALUES ('a3', 'Forged', 9, 'forged')",
    ),
    ("active_ratings", "UPDATE active_ratings SET comment = 'forged' WHERE article_id = 'a3'"),
    ("subscriber_comments", "DELETE FROM subscriber_comments WHERE article_id = 'a3'"),
]


@pytest.mark.parametrize("partitions", [1, 2])
@pytest.mark.parametrize(("table", "tampering"), TAMPERING, ids=[t for t, _ in TAMPERING])
async def test_verify_names_the_first_article_whose_view_was_tampered_with(
    store: SQLEventStore, engine: AsyncEngine, table: str, tampering: str, partitions: int
) -> None:
    await populate(store)
    tables = await view_tables_dump(engine)
    async with engine.begin() as conn:
        assert (await conn.execute(text(tampering))).rowcount >= 1

    report = await verify_projections(store, partitions=partitions)

    assert not report.ok
    assert report.first_article == "a3"
    first = report.mismatches[0]
    assert (first.table, first.article_id) == (table, "a3")
    assert first.table in {t.name for t in live_views.all()}
    if table == "discipline_scores":
        assert first.live is not None
        assert first.replayed is not None
        assert first.live["relevance_sum"] == first.replayed["relevance_sum"] + 1
        assert {m.article_id for m in report.mismatches} == {"a3", "a4"}
    if table == "subscriber_comments":
        assert first.live is None
        assert first.replayed is not None

    await rebuild(store, partitions=partitions)
    again = await verify_projections(store, partitions=partitions)
    assert again.ok, again.mismatches
    assert await view_tables_dump(engine) == tables


# -- replaying in partitions -------------------------------------------------------------


@dataclass(frozen=True)
class ScriptedEvent(DomainEvent):
    type_name = "Scripted"
    note: str = ""


async def test_an_event_filed_in_another_articles_stream_is_replayed_in_one_process(
    store: SQLEventStore, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Appended past the use cases, a comment on a1 (odd) in a stream ending in 2 (even):
    the partition of its stream does not own its article, so the replay is made again in
    one process, and a1 gets its comment."""
    await populate(store)
    comment = {"comment_id": "misfiled-1", "article_id": "a1", "author_id": "s1", "body": "Here"}
    await store.append(
        "article:elsewhere2", 0, [NewEvent("CommentPosted", comment)], actor=subscriber("s1")
    )
    head = await store.head()
    advanced: list[int] = []
    # Small windows here, so this process has reported progress before it meets the event.
    monkeypatch.setattr(windows, "WINDOW", 8)

    report = await rebuild(store, partitions=2, progress=advanced.append)

    assert (report.position, report.partitions) == (head.position, 1)
    assert sum(advanced) == head.position, "the first attempt's progress was counted again"
    verified = await verify_projections(store, partitions=2)
    assert verified.ok, verified.mismatches
    a1 = await view(engine, "a1")
    assert a1 is not None
    assert "Here" in [c.body for c in a1.subscriber_comments]
    async with engine.connect() as conn:
        leftovers = await conn.run_sync(
            lambda sync: [n for n in inspect(sync).get_table_names() if "_replay_" in n]
        )
    assert leftovers == [], "a replay's fresh tables were left behind"


@pytest.mark.parametrize("partitions", [2, 3])
async def test_partitions_read_span_by_span_replay_the_whole_log_between_them(
    store: SQLEventStore, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, partitions: int
) -> None:
    """Each partition read in spans of a few positions, in this process: many spans hold
    none of a partition's events (the raters' enrolments, all partition 0's, come first),
    and every partition still reads on to the end; between them they fold each event once
    and write views equal to the live ones."""
    await populate(store)
    head = (await store.head()).position
    monkeypatch.setattr(windows, "WINDOW", 4)
    advanced: list[int] = []

    async with fresh_views(store) as fresh:
        for index in range(partitions):
            replay = Replay(Projector(fresh, store.registry), Partition(index, partitions))
            reached = await replay_log(store, replay, after=0, upto=head, progress=advanced.append)
            await flush(store, replay)
            assert reached == head
        async with engine.connect() as live, engine.connect() as replayed:
            mismatches = [
                mismatch
                for table, new in zip(live_views.folded(), fresh.folded(), strict=True)
                for mismatch in await compare_tables(live, table, replayed, new)
            ]

    assert sum(advanced) == head, "an event was folded twice, or not at all"
    assert len(advanced) >= head // 4, "the partitions did not read in spans"
    assert mismatches == []


async def test_how_many_partitions_a_replay_gets(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    cores = min(os.cpu_count() or 1, MAX_PARTITIONS)
    assert partition_count(engine, REGISTRY, PARALLEL_FROM - 1) == 1
    assert partition_count(engine, REGISTRY, PARALLEL_FROM) == cores
    assert partition_count(engine, REGISTRY, 10, requested=3) == 3
    with pytest.raises(ValueError, match="at least one partition"):
        partition_count(engine, REGISTRY, 10, requested=0)

    unpicklable = EventRegistry()
    unpicklable.register("Noted", lambda: None)  # type: ignore[arg-type]
    assert partition_count(engine, unpicklable, PARALLEL_FROM, requested=2) == 1
    # A worker starts without the caller's __main__, so an event type of a script's own
    # would not be found there: such a replay stays in one process.
    scripted = EventRegistry()
    scripted.register("Scripted", ScriptedEvent)
    monkeypatch.setattr(ScriptedEvent, "__module__", "__main__")
    monkeypatch.setattr(sys.modules["__main__"], "ScriptedEvent", ScriptedEvent, raising=False)
    assert partition_count(engine, scripted, PARALLEL_FROM, requested=2) == 1
    in_memory = create_async_engine("sqlite+aiosqlite://")
    try:
        assert partition_count(in_memory, REGISTRY, PARALLEL_FROM, requested=2) == 1
    finally:
        await in_memory.dispose()


def test_a_partition_owns_its_articles_by_their_last_character() -> None:
    halves = [Partition(0, 2), Partition(1, 2)]
    assert [p.owns("e7d05feceeac5a68") for p in halves] == [True, False]  # "8": 56
    assert [p.owns("a1") for p in halves] == [False, True]
    # Raters and disciplines (no article) are partition 0's.
    assert [p.owns(None) for p in halves] == [True, False]
    for article_id in ("a1", "a2", "x9", "e7d05feceeac5a6f"):
        assert sum(Partition(i, 3).owns(article_id) for i in range(3)) == 1


# -- the command line --------------------------------------------------------------------


async def test_the_rebuild_and_verify_commands_report_events_and_positions(
    database_url: str, store: SQLEventStore, engine: AsyncEngine
) -> None:
    await populate(store)
    head = (await store.head()).position
    runner = CliRunner()

    rebuilt = await asyncio.to_thread(runner.invoke, app, ["rebuild", "--database", database_url])
    assert rebuilt.exit_code == 0, rebuilt.output
    line = re.fullmatch(
        r"ok: rebuilt from (\d+) events in \d+\.\d\d s \(([\d,]+|inf) events/s\)\n",
        rebuilt.stdout,
    )
    assert line is not None, rebuilt.stdout
    assert int(line.group(1)) == head

    verified = await asyncio.to_thread(runner.invoke, app, ["verify", "--database", database_url])
    assert verified.exit_code == 0, verified.output
    assert verified.stdout.splitlines() == [
        f"ok: {head} events",
        f"ok: views equal a replay at position {head}",
    ]

    async with engine.begin() as conn:
        await conn.execute(text(TAMPERING[0][1]))
    tampered = await asyncio.to_thread(runner.invoke, app, ["verify", "--database", database_url])
    assert tampered.exit_code == 1
    assert tampered.stdout.splitlines() == [
        f"ok: {head} events",
        "views differ from a replay: first at article a3 (table discipline_scores)",
    ]

    repaired = await asyncio.to_thread(runner.invoke, app, ["rebuild", "--database", database_url])
    assert repaired.exit_code == 0, repaired.output
    final = await asyncio.to_thread(runner.invoke, app, ["verify", "--database", database_url])
    assert final.exit_code == 0, final.output
    assert final.stdout.splitlines()[-1] == f"ok: views equal a replay at position {head}"


# How often a killed rebuild is tried again when it ended before the kill landed (a replay
# of BULK events takes a fraction of a second once the command has started).
KILL_ATTEMPTS = 5
COMMAND_TIMEOUT = 120
LOOK_EVERY = 0.005


async def replay_tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        names: list[str] = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
    return {name for name in names if "_replay_" in name}


async def tables_of_a_killed_rebuild(database_url: str, engine: AsyncEngine) -> set[str]:
    """Run `evidence-ledger rebuild` and SIGKILL it as soon as its fresh tables exist;
    returns the tables it left behind."""
    for _ in range(KILL_ATTEMPTS):
        process = await asyncio.create_subprocess_exec(
            str(CONSOLE_SCRIPT),
            "rebuild",
            "--database",
            database_url,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=child_environment(),
        )
        try:
            await killed_once_its_tables_exist(process, engine)
        finally:
            if process.returncode is None:
                process.kill()
            await asyncio.wait_for(process.wait(), COMMAND_TIMEOUT)
        if left := await replay_tables(engine):
            assert process.returncode == -signal.SIGKILL
            return left
    pytest.fail(f"no rebuild of {KILL_ATTEMPTS} was killed while its replay tables existed")


async def killed_once_its_tables_exist(
    process: asyncio.subprocess.Process, engine: AsyncEngine
) -> None:
    """Until ``process`` ends, look for replay tables every few milliseconds; SIGKILL it when
    there are some."""
    while True:
        try:
            await asyncio.wait_for(process.wait(), LOOK_EVERY)
        except TimeoutError:
            if await replay_tables(engine):
                process.send_signal(signal.SIGKILL)
                return
        else:
            return


def claim_files(database_url: str) -> list[Path]:
    """SQLite: the files beside the database whose locks claim replay tables."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database is None:
        return []
    database = Path(url.database)
    return sorted(database.parent.glob(f"{database.name}_replay_*.lock"))


async def populated_for_a_kill(store: SQLEventStore) -> None:
    await populate(store)
    await bulk_comments(store, "a1", BULK)


async def test_tables_left_by_a_killed_rebuild_are_dropped_by_the_next_rebuild(
    database_url: str, store: SQLEventStore, engine: AsyncEngine
) -> None:
    await populated_for_a_kill(store)
    head = await store.head()
    left = await tables_of_a_killed_rebuild(database_url, engine)
    assert {name.split("_replay_")[0] for name in left} == {t.name for t in live_views.all()}

    assert len(claim_files(database_url)) == (1 if engine.dialect.name == "sqlite" else 0)

    report = await rebuild(store)

    assert report.position == head.position
    assert await replay_tables(engine) == set()
    assert claim_files(database_url) == []
    verified = await verify_projections(store)
    assert verified.ok, verified.mismatches


def tables_seen_from_elsewhere(database_url: str) -> set[str]:
    """The replay tables, listed on an engine of its own on a thread of its own (for a caller
    that holds the event loop)."""

    async def listed() -> set[str]:
        engine = create_engine(database_url)
        try:
            return await replay_tables(engine)
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, listed()).result()


async def test_the_cleanup_command_drops_a_killed_rebuilds_tables_and_keeps_a_running_replays(
    database_url: str, store: SQLEventStore, engine: AsyncEngine
) -> None:
    await populated_for_a_kill(store)
    left = await tables_of_a_killed_rebuild(database_url, engine)
    seen: dict[str, set[str]] = {}
    cleanups: list[subprocess.CompletedProcess[str]] = []

    def clean_up_once(_events: int) -> None:
        """Called from inside the replay, while its tables exist: a cleanup in another
        process, the tables listed before and after it."""
        if cleanups:
            return
        seen["before"] = tables_seen_from_elsewhere(database_url)
        cleanups.append(
            subprocess.run(
                [str(CONSOLE_SCRIPT), "cleanup", "--database", database_url],
                capture_output=True,
                text=True,
                timeout=COMMAND_TIMEOUT,
                env=child_environment(),
                check=False,
            )
        )
        seen["after"] = tables_seen_from_elsewhere(database_url)

    verified = await verify_projections(store, progress=clean_up_once)

    [cleanup] = cleanups
    assert cleanup.returncode == 0, cleanup.stderr
    assert cleanup.stdout == (
        f"ok: dropped {len(left)} tables left by replays that no longer run;"
        " kept those of 1 still running\n"
    )
    running = seen["before"] - left
    assert len(running) == len(left), "the verification's replay tables were not there"
    assert seen["after"] == running
    assert verified.ok, verified.mismatches
    assert await replay_tables(engine) == set()


async def test_the_service_drops_at_start_the_tables_a_killed_rebuild_left(
    database_url: str, store: SQLEventStore, engine: AsyncEngine
) -> None:
    await populated_for_a_kill(store)
    await tables_of_a_killed_rebuild(database_url, engine)
    service = create_app(Settings(database_url=database_url))

    async with service.router.lifespan_context(service):
        assert await replay_tables(engine) == set()


class ReplayInterrupted(Exception):
    pass


async def test_a_replay_that_fails_leaves_neither_its_tables_nor_its_claim(
    database_url: str, store: SQLEventStore, engine: AsyncEngine
) -> None:
    await populate(store)

    def interrupted(_events: int) -> None:
        raise ReplayInterrupted

    with pytest.raises(ReplayInterrupted):
        await verify_projections(store, progress=interrupted)

    assert await replay_tables(engine) == set()
    assert claim_files(database_url) == []


def registry_with_comments_at_version_2() -> EventRegistry:
    """The shared registry, but ``CommentPosted`` at version 2: some comments of version 1
    called their body ``text``."""
    registry = EventRegistry()
    for name, cls in REGISTRY.classes().items():
        version = 2 if name == "CommentPosted" else REGISTRY.current_version(name)
        registry.register(name, cls, schema_version=version)

    @registry.upcaster("CommentPosted", 1)
    def renamed_body(payload: dict[str, object]) -> dict[str, object]:
        if "text" not in payload:
            return payload
        return {**{k: v for k, v in payload.items() if k != "text"}, "body": payload["text"]}

    return registry


async def test_a_replay_reads_each_event_as_the_store_reads_it(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    """The replay decodes with the store's decoder: an event stored in an older shape is
    folded in its current one, and a type the ledger does not know stops the rebuild,
    naming its position, with the live views left as they were."""
    await populate(store)
    upcasting = SQLEventStore(engine, registry_with_comments_at_version_2())
    old = {"comment_id": "old-1", "article_id": "a1", "author_id": "s1", "text": "From before"}
    await upcasting.append(
        "article:a1", None, [NewEvent("CommentPosted", old, schema_version=1)], actor=EDITOR
    )

    await rebuild(upcasting, partitions=1)

    a1 = await view(engine, "a1")
    assert a1 is not None
    assert "From before" in [c.body for c in a1.subscriber_comments]

    knowing = REGISTRY.copy()
    knowing.register("ArticleFlagged")
    flagged = await SQLEventStore(engine, knowing).append(
        "article:a2", None, [NewEvent("ArticleFlagged", {"article_id": "a2"})], actor=EDITOR
    )
    before = await view_tables_dump(engine)

    with pytest.raises(UnknownEventTypeStored) as refused:
        await rebuild(SQLEventStore(engine, registry_with_comments_at_version_2()), partitions=1)

    assert (refused.value.event_type, refused.value.position) == (
        "ArticleFlagged",
        flagged.first_position,
    )
    assert await view_tables_dump(engine) == before
