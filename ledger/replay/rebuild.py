"""Replaying the whole log: rebuilding the live views, and proving they equal a replay.

Both replay into fresh tables with the live projector's own code. A rebuild then swaps the
result in, in one transaction that holds the ledger head, so readers see the old views or
the new ones and never an empty or half-built one. A verification compares the live views,
read in one snapshot, with a replay up to exactly that snapshot's checkpoint, so it needs
no lock and stops no writer.

A replay reads the log in windows, each event straight to a ``Fact`` (no metadata, actor
or hash is built: the views show none of them). The working set stays in memory from one
window to the next, within fixed bounds, so the rows hot across windows (an article is
touched by each of its events, its scores by each rating) are loaded and written once,
not once a window; rows leave it, written, when their article goes idle or the working set
is full, and all of it at the end. Reading, folding and writing overlap (``_replay``).
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import Constraint, Index, MetaData, Table, inspect, select, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.schema import CreateIndex, CreateTable, DropTable

from ledger.domain.errors import UnknownEventTypeStored
from ledger.domain.events import DomainEvent, EventRegistry
from ledger.projections.fold import Fact, Keys, Rows, WorkingSet, apply, keys_of
from ledger.projections.projector import Projector, advance_checkpoints, checkpoint
from ledger.projections.search_index import (
    INDEX_NAME,
    fresh_index_drop_statements,
    fresh_index_statements,
    index_problem,
    swap_statements,
)
from ledger.projections.tables import ViewTables, live_views, metadata, view_tables
from ledger.replay.claims import abandoned, claimed, new_suffix, release_file, replay_suffixes
from ledger.replay.processes import (
    Partition,
    PartitionMisplaced,
    Shared,
    partition_count,
    partition_sql,
    started_partitions,
    worker_url,
)
from ledger.store.append import lock_head
from ledger.store.db import create_engine, snapshot, write_transaction
from ledger.store.sql_store import SQLEventStore
from ledger.store.tables import ledger_head

__all__ = [
    "LeftoverReport",
    "Mismatch",
    "ProjectionReport",
    "RebuildReport",
    "drop_abandoned_replays",
    "read_window",
    "rebuild",
    "verify_projections",
]

WINDOW = 20_000
# Events decoded or folded between two turns of the event loop. The other stages of the
# pipeline move only in those turns (each statement of a write waits for one), so a whole
# window decoded or folded at a stretch would hold them up for its duration.
SLICE = 1000
# What the working set keeps between windows. Articles leave whole (their row, topics,
# scores, and the ratings and comments held), once IDLE windows have passed without an event
# of theirs (most never get another: written then, they are not left for the end), or when
# a part is over its bound, the least recently used first. A replay in partitions gives each
# partition its share of the window and of the bounds: together they hold what one process
# would, over the same stretch of the log.
IDLE = 2
KEPT_ARTICLES = 4000
KEPT_RATINGS = 30_000
KEPT_COMMENTS = 6000
# The cyclic collector's first threshold while a replay runs (see ``_fewer_collections``).
YOUNG_COLLECTION = 200_000
MAX_REPORTED = 20
Progress = Callable[[int], None]

# A window of the log: only what the views show of each event.
_WINDOW_ROWS = (
    "SELECT position, stream_version, event_type, schema_version, payload, recorded_at"
    " FROM events WHERE position > :after AND position <= :upto{partition}"
    " ORDER BY position LIMIT :limit"
)
# SQLite: the window as one JSON document, built by the database, the payload embedded as
# it is stored (so parsed with the document, at C speed) and the time as the UTC text SQLite
# stores. One value comes back, not a row per event: the statement runs without Python's
# lock, on another core, while this thread folds the window before.
_SQLITE_DOCUMENT = (
    "SELECT json_group_array(json_array("
    "position, stream_version, event_type, schema_version, json(payload), recorded_at))"
    " FROM ({rows}) AS w"
)


def _window_rows(dialect: str, partitioned: bool) -> str:
    """The window's rows, of the whole log or (``partitioned``) of one partition."""
    condition = f" AND {partition_sql(dialect)}" if partitioned else ""
    return _WINDOW_ROWS.format(partition=condition)


_SQLITE_WINDOW = {
    partitioned: text(_SQLITE_DOCUMENT.format(rows=_window_rows("sqlite", partitioned)))
    for partitioned in (False, True)
}
# PostgreSQL: the rows as they are, straight from the driver, which decodes them (the time
# to an aware UTC datetime) in C; each payload is parsed on its own. This process does about
# the work it does parsing a document of the window, and the server, which shares the
# machine's cores with the replay, a quarter of the work of building one. (Compiled for the
# connection's driver, whose parameters are numbered.)
_POSTGRES_WINDOW = {
    partitioned: text(_window_rows("postgresql", partitioned)) for partitioned in (False, True)
}
_POSTGRES_COMPILED: dict[tuple[str, bool], tuple[str, tuple[str, ...]]] = {}


def _postgres_window(dialect: Dialect, partitioned: bool) -> tuple[str, tuple[str, ...]]:
    """The window statement for ``dialect``'s driver, and its parameters' names in order
    (compiled once, not once a window)."""
    key = (dialect.driver, partitioned)
    compiled = _POSTGRES_COMPILED.get(key)
    if compiled is None:
        statement = _POSTGRES_WINDOW[partitioned].compile(dialect=dialect)
        assert statement.positiontup is not None
        compiled = _POSTGRES_COMPILED[key] = (statement.string, tuple(statement.positiontup))
    return compiled


_LAST_POSITION = 2**63 - 1


@dataclass(frozen=True)
class RebuildReport:
    events: int
    position: int
    seconds: float
    partitions: int = 1  # the processes that shared the replay

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")


@dataclass(frozen=True)
class Mismatch:
    table: str
    key: str
    article_id: str | None
    live: dict[str, Any] | None
    replayed: dict[str, Any] | None


@dataclass(frozen=True)
class ProjectionReport:
    """``ok`` when the views are at the head and equal a replay up to it."""

    ok: bool
    position: int
    mismatches: tuple[Mismatch, ...]
    head_position: int

    @property
    def behind(self) -> bool:
        return self.position < self.head_position

    @property
    def first_article(self) -> str | None:
        """The first article (by id) whose live view differs from the replay."""
        ids = [m.article_id for m in self.mismatches if m.article_id is not None]
        return min(ids) if ids else None


async def rebuild(
    store: SQLEventStore, *, progress: Progress | None = None, partitions: int | None = None
) -> RebuildReport:
    """Replay the whole log into fresh views and swap them in. ``partitions``: how many
    processes share the replay (None: one per core, for a log large enough to gain).
    The tables of earlier replays that were killed are dropped first."""
    started = time.perf_counter()
    reporter = _Progress(progress)
    await drop_abandoned_replays(store.engine)  # a killed rebuild's tables go before they pile up
    try:
        return await _rebuild(store, reporter, partitions, started)
    except PartitionMisplaced:
        reporter.restart()
        return await _rebuild(store, reporter, 1, started)


async def _rebuild(
    store: SQLEventStore, progress: Progress, partitions: int | None, started: float
) -> RebuildReport:
    async with _fresh_views(store) as fresh:
        with _fewer_collections():
            replay, position, count = await _replay_head_start(store, fresh, partitions, progress)
            position = await _replay(store, replay, after=position, upto=None, progress=progress)
        # The statistics need not wait for the last rows: a sample is a sample. An index
        # built meanwhile waits for the rows' transaction, or they for the index: either way
        # it holds them all.
        await _together(_flush(store, replay), _index(store, fresh), _analyze(store, fresh))
        async with store.transaction() as tx:
            conn = tx.connection
            await lock_head(conn)  # writers wait from here: catch up, then swap
            while page := await tx.read_all(position, WINDOW):
                await replay.window(conn, replay.projector.facts(page))
                position = page[-1].position
                if progress is not None:
                    progress(len(page))
            await replay.flush(conn)
            await _swap(conn, fresh)
            await advance_checkpoints(conn, position)
    return RebuildReport(position, position, time.perf_counter() - started, count)


async def verify_projections(
    store: SQLEventStore, *, progress: Progress | None = None, partitions: int | None = None
) -> ProjectionReport:
    """Compare the live views with a replay up to their checkpoint (``partitions`` as for
    ``rebuild``)."""
    reporter = _Progress(progress)
    try:
        return await _verify_projections(store, reporter, partitions)
    except PartitionMisplaced:
        reporter.restart()
        return await _verify_projections(store, reporter, 1)


class _Progress:
    """Progress passed on without counting an event twice: when a replay in partitions is
    made again in one process (``PartitionMisplaced``), only what goes beyond the events
    already reported is reported again."""

    def __init__(self, report: Progress | None) -> None:
        self._report = report
        self._done = 0
        self._reported = 0

    def __call__(self, events: int) -> None:
        self._done += events
        if self._report is not None and self._done > self._reported:
            self._report(self._done - self._reported)
            self._reported = self._done

    def restart(self) -> None:
        self._done = 0


async def _verify_projections(
    store: SQLEventStore, progress: Progress, partitions: int | None
) -> ProjectionReport:
    async with _fresh_views(store) as fresh, snapshot(store.engine) as live_conn:
        # The first read fixes the snapshot; the views in it are exactly at this position.
        position = await checkpoint(live_conn)
        head = await live_conn.scalar(select(ledger_head.c.position))
        count = partition_count(store.engine, store.registry, position, partitions)
        with _fewer_collections():
            if count > 1:
                replay = await _replay_partitioned(store, fresh, position, count, progress)
            else:
                replay = _Replay(Projector(fresh, store.registry))
                await _replay(store, replay, after=0, upto=position, progress=progress)
        await _flush(store, replay)
        mismatches: list[Mismatch] = []
        async with store.engine.connect() as replayed:
            for live, new in zip(live_views.all(), fresh.all(), strict=True):
                mismatches += await _compare(live_conn, live, replayed, new)
            # The rows compared above are what the search index is built from; the index itself
            # must hold exactly their words.
            problem = await index_problem(replayed)
            if problem is not None:
                mismatches.append(Mismatch(INDEX_NAME, "index", None, {"problem": problem}, None))
    return ProjectionReport(
        ok=not mismatches and position == head,
        position=position,
        mismatches=tuple(mismatches[:MAX_REPORTED]),
        head_position=int(head or 0),
    )


async def _replay_head_start(
    store: SQLEventStore, fresh: ViewTables, partitions: int | None, progress: Progress
) -> tuple[_Replay, int, int]:
    """A rebuild's start: the log as it stands now, in partitions if it pays; returns the
    replay to go on with, the position reached (0: nothing replayed yet) and the number of
    partitions."""
    head = (await store.head()).position
    count = partition_count(store.engine, store.registry, head, partitions)
    if count == 1:
        return _Replay(Projector(fresh, store.registry)), 0, 1
    return await _replay_partitioned(store, fresh, head, count, progress), head, count


async def _replay_partitioned(
    store: SQLEventStore, fresh: ViewTables, upto: int, count: int, progress: Progress | None
) -> _Replay:
    """Replay the log up to ``upto`` in ``count`` partitions, the first in this process, the
    others in processes of their own, all into ``fresh``. Returns this process's replay,
    everything written, ready to go on with the whole log."""
    url = worker_url(store.engine)
    assert url is not None, "partition_count gives 1 where no other process can follow"
    suffix = fresh.article_views.name.removeprefix(live_views.article_views.name)
    partitions = [Partition(index, count) for index in range(count)]

    def args_of(partition: Partition, shared: Shared) -> tuple[Any, ...]:
        return (url, store.registry, suffix, partition, upto, shared)

    replay = _Replay(Projector(fresh, store.registry), partitions[0])
    async with started_partitions(_partition_main, args_of, partitions[1:], progress) as others:
        # Begun beside a starting worker, this replay took the core its start-up needed
        # and ended some two seconds before it (of a six-second rebuild of 100,000 events).
        await others.started()
        await _replay(store, replay, after=0, upto=upto, progress=progress)
        await _flush(store, replay)
        await others.wait()
    replay.partition = None  # from here on, any event of the log
    return replay


def _partition_main(
    url: str, registry: EventRegistry, suffix: str, partition: Partition, upto: int, shared: Shared
) -> int:
    """A replay process: ``partition`` of the log up to ``upto``, into the fresh tables of
    ``suffix``, saying when it is ready and adding its progress to ``shared``; returns the
    position reached."""
    return asyncio.run(_replay_partition(url, registry, suffix, partition, upto, shared))


async def _replay_partition(
    url: str, registry: EventRegistry, suffix: str, partition: Partition, upto: int, shared: Shared
) -> int:
    engine = create_engine(url, pool_size=2)
    try:
        # Claimed here too: the tables are not abandoned while a partition still writes
        # into them, even if the process that made them was killed.
        async with claimed(engine, suffix):
            return await _replay_claimed_partition(
                engine, registry, suffix, partition, upto, shared
            )
    finally:
        await engine.dispose()


async def _replay_claimed_partition(
    engine: AsyncEngine,
    registry: EventRegistry,
    suffix: str,
    partition: Partition,
    upto: int,
    shared: Shared,
) -> int:
    store = SQLEventStore(engine, registry)
    fresh = view_tables(_fresh_metadata(suffix, engine.dialect.name), suffix=suffix)
    replay = _Replay(Projector(fresh, registry), partition)
    async with engine.connect():  # connected before it says it is ready
        pass
    shared.ready.value = 1

    def advance(events: int) -> None:
        shared.done.value += events

    with _fewer_collections():
        position = await _replay(store, replay, after=0, upto=upto, progress=advance)
    await _flush(store, replay)
    return position


class _CollectorTuning:
    """The collector's thresholds before the first replay still running began."""

    running = 0
    thresholds = gc.get_threshold()


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """A replay keeps each window's objects alive just long enough for the cyclic collector
    to promote them to the oldest generation, which it then rescans whole for them: a full
    collection every window or two, a tenth of the replay's time, for objects that
    reference counting frees anyway. While replays run, the youngest generation is
    collected less often (the process's thresholds are restored after the last)."""
    if _CollectorTuning.running == 0:
        thresholds = _CollectorTuning.thresholds = gc.get_threshold()
        gc.set_threshold(max(thresholds[0], YOUNG_COLLECTION), *thresholds[1:])
    _CollectorTuning.running += 1
    try:
        yield
    finally:
        _CollectorTuning.running -= 1
        if _CollectorTuning.running == 0:
            gc.set_threshold(*_CollectorTuning.thresholds)


class _Bounds(NamedTuple):
    """How many of each the working set keeps between windows."""

    articles: int
    ratings: int
    comments: int


def _span_end(after: int, upto: int) -> int:
    """The last position of a partition's window after ``after``: a partition reads its
    events among the next ``WINDOW`` positions of the log, about its share of a window.

    Not "its next ``WINDOW // count`` events": PostgreSQL's planner cannot tell how many rows
    the partition's condition keeps, guesses a few, and so plans such a read over the rest of
    the log as a scan of all of it and a sort, not a walk of the position index that stops
    at the limit (the first reads of a prepared statement, planned for their own values, did
    just that: the whole events table for each). Bounded by positions, every window is a
    short range of the index."""
    return min(after + WINDOW, upto)


class _Replay:
    """The projector over a replay: one working set for the whole log, kept within bounds."""

    def __init__(self, projector: Projector, partition: Partition | None = None) -> None:
        self.projector = projector
        self.partition = partition
        share = 1 if partition is None else partition.count
        self.kept = _Bounds(KEPT_ARTICLES // share, KEPT_RATINGS // share, KEPT_COMMENTS // share)
        self.ws = WorkingSet()
        self.windows = 0
        # The articles held, least recently used first, with the window of their last event;
        # and the ratings and comments of each, which leave with it.
        self.used: dict[str, int] = {}
        self.ratings_of: dict[str, set[str]] = {}
        self.comments_of: dict[str, set[str]] = {}

    def missing(self, facts: Sequence[Fact]) -> tuple[Keys, Keys]:
        """The keys ``facts`` read, and those of rows to be loaded first."""
        keys = keys_of(facts)
        return keys, self.projector.missing(self.ws, keys)

    async def fold(self, facts: Sequence[Fact], keys: Keys) -> WorkingSet:
        """Fold a window in (its missing rows loaded); returns what leaves, to be written."""
        ws = self.ws
        for start in range(0, len(facts), SLICE):
            for fact in facts[start : start + SLICE]:
                apply(ws, fact)
            await asyncio.sleep(0)
        self.windows += 1
        self._note(facts)
        return self._leaving(keys)

    async def window(self, conn: AsyncConnection, facts: Sequence[Fact]) -> None:
        """Load, fold and write a window, all on ``conn``."""
        keys, missing = self.missing(facts)
        await self.projector.load(conn, self.ws, missing)
        await self.projector.write(conn, await self.fold(facts, keys))

    async def flush(self, conn: AsyncConnection) -> None:
        """Write every change still held (the working set stays, now as the tables are)."""
        await self.projector.write(conn, self.ws)

    def _note(self, facts: Sequence[Fact]) -> None:
        used, window = self.used, self.windows
        for fact in facts:
            article_id = getattr(fact.event, "article_id", None)
            if article_id is None:
                continue
            used.pop(article_id, None)
            used[article_id] = window
            rating_id = getattr(fact.event, "rating_id", None)
            if rating_id is not None:
                self.ratings_of.setdefault(article_id, set()).add(rating_id)
                continue
            comment_id = getattr(fact.event, "comment_id", None)
            if comment_id is not None:
                self.comments_of.setdefault(article_id, set()).add(comment_id)

    def _leaving(self, keys: Keys) -> WorkingSet:
        """Take out of the working set what leaves it after a window: rows the window
        deleted; articles idle for a while, or the least recently used when it is over a
        bound, each whole; and what the fold never reads again (raters, disciplines, rating
        versions)."""
        ws, out = self.ws, WorkingSet()
        for rows, read, into in (
            (ws.ratings, keys.ratings, out.ratings),
            (ws.comments, keys.comments, out.comments),
        ):
            # A deleted row is written with its window: a withdrawn rating frees its rater's
            # place on the article (a unique key), which a later rating may take.
            rows.take([key for key in read if key in rows.rows and rows.rows[key] is None], into)
        self._evict(out)
        out.raters, ws.raters = ws.raters, Rows()
        out.disciplines, ws.disciplines = ws.disciplines, Rows()
        out.rating_versions, ws.rating_versions = ws.rating_versions, Rows()
        return out

    def _evict(self, out: WorkingSet) -> None:
        """Move articles, with all their rows, ``out``: those idle for ``IDLE`` windows, and,
        when a part is over its bound, the least recently used until every part is within
        three quarters of it (so that evictions for room are a few windows apart).

        Rows leave by article, whose rows lie together in every index keyed by it (a rating's
        id starts with it too): the database touches few pages to take them."""
        ws, kept = self.ws, self.kept
        over = (
            len(ws.articles) > kept.articles
            or len(ws.ratings) > kept.ratings
            or len(ws.comments) > kept.comments
        )
        articles, ratings, comments = len(ws.articles), len(ws.ratings), len(ws.comments)
        idle = self.windows - IDLE
        leaving: list[str] = []
        for article_id, window in self.used.items():
            if window > idle and (
                not over
                or (
                    articles <= kept.articles * 3 // 4
                    and ratings <= kept.ratings * 3 // 4
                    and comments <= kept.comments * 3 // 4
                )
            ):
                break
            leaving.append(article_id)
            articles -= 1
            ratings -= len(self.ratings_of.get(article_id, ()))
            comments -= len(self.comments_of.get(article_id, ()))
        if not leaving:
            return
        for article_id in leaving:
            del self.used[article_id]
            ws.ratings.take(self.ratings_of.pop(article_id, ()), out.ratings)
            ws.comments.take(self.comments_of.pop(article_id, ()), out.comments)
        ws.articles.take(leaving, out.articles)
        ws.topics.take(leaving, out.topics)
        gone = set(leaving)
        ws.scores.take([key for key in ws.scores.rows if key[0] in gone], out.scores)


async def _replay(
    store: SQLEventStore,
    replay: _Replay,
    *,
    after: int,
    upto: int | None,
    progress: Progress | None,
) -> int:
    """Project the log after ``after`` (up to ``upto``); returns the position reached. The
    rows still held are left to write (``_flush``). With the replay's partition, only its
    events, up to ``upto`` (which must be given).

    A pipeline: the next window is read while this one is folded, and a window's rows are
    written (in a transaction of their own) while the next is folded, so the database works
    while Python decodes and folds. A fold waits for the write before it only when it has
    rows to load (the write may be putting them back); writes go one at a time, in order.
    """
    partition = replay.partition
    assert partition is None or upto is not None, "a partition is replayed up to a position"
    position = after

    def read_after(last: int, full: bool) -> asyncio.Task[list[Fact]] | None:
        """The read of the window after position ``last``, started; None past the end. The whole
        log is read until a window is short (``full``: it was not); a partition, through
        every span of positions up to ``upto``, with or without events of its own."""
        if partition is None:
            more = full and (upto is None or last < upto)
        else:
            assert upto is not None
            more = last < upto
        if not more:
            return None
        return asyncio.create_task(read_window(store, last, upto, partition=partition))

    reading = read_after(after, full=True)
    writing: asyncio.Task[None] | None = None
    try:
        while reading is not None:
            facts = await reading
            if partition is not None:
                assert upto is not None
                position = _span_end(position, upto)
            elif facts:
                position = facts[-1].position
            reading = read_after(position, full=len(facts) == WINDOW)
            if not facts:
                continue
            keys, missing = replay.missing(facts)
            if missing:
                if writing is not None:
                    await writing  # what it writes may be what is to be loaded
                async with store.engine.connect() as conn:
                    await replay.projector.load(conn, replay.ws, missing)
            leaving = await replay.fold(facts, keys)
            if writing is not None:
                await writing  # one write at a time, in order
            writing = asyncio.create_task(_write(store, replay, leaving))
            if progress is not None:
                progress(len(facts))
        if writing is not None:
            await writing
    finally:
        await _cancelled(reading, writing)
    if partition is not None:
        # Every position up to ``upto`` was committed before the replay began (positions
        # become visible in order), and the partition has read every span up to it.
        assert upto is not None
        return upto
    # A short window was the end of the log as it stood. The end is confirmed by the store's
    # own read, with whatever was appended meanwhile.
    while upto is None or position < upto:
        page = await store.read_all(position, WINDOW)
        if upto is not None:
            page = [event for event in page if event.position <= upto]
        if not page:
            break
        async with store.transaction() as tx:
            await replay.window(tx.connection, replay.projector.facts(page))
        position = page[-1].position
        if progress is not None:
            progress(len(page))
    return position


async def _flush(store: SQLEventStore, replay: _Replay) -> None:
    async with store.transaction() as tx:
        await replay.flush(tx.connection)


async def _together(*steps: Awaitable[None]) -> None:
    """Run ``steps`` at once; if one fails, stop the others."""
    tasks = [asyncio.ensure_future(step) for step in steps]
    try:
        await asyncio.gather(*tasks)
    finally:
        await _cancelled(*tasks)


async def _write(store: SQLEventStore, replay: _Replay, leaving: WorkingSet) -> None:
    async with store.transaction() as tx:
        await replay.projector.write(tx.connection, leaving)


async def _cancelled(*tasks: asyncio.Task[Any] | None) -> None:
    """Stop the pipeline's tasks still running (on an error), and let them clean up."""
    running = [task for task in tasks if task is not None and not task.done()]
    for task in running:
        task.cancel()
    for task in running:
        with suppress(asyncio.CancelledError):
            await task


async def read_window(
    store: SQLEventStore,
    after: int = 0,
    upto: int | None = None,
    *,
    partition: Partition | None = None,
) -> list[Fact]:
    """The next window of the log after ``after`` (and up to ``upto``), as a replay reads it,
    as facts: ``WINDOW`` events at most; or, with ``partition`` (and ``upto``), the
    partition's events among the next ``WINDOW`` positions (``_span_end``)."""
    async with store.engine.connect() as conn:
        return await _read_facts(conn, store.registry, after, upto, partition)


async def _read_facts(
    conn: AsyncConnection,
    registry: EventRegistry,
    after: int,
    upto: int | None,
    partition: Partition | None,
) -> list[Fact]:
    """A window of the log as facts, payloads upcast to their types' current shapes."""
    parameters = {"after": after, "upto": _LAST_POSITION if upto is None else upto, "limit": WINDOW}
    if partition is not None:
        assert upto is not None, "a partition is read up to a position"
        parameters |= {
            "upto": _span_end(after, upto),
            "partition": partition.index,
            "partitions": partition.count,
        }
    rows, payloads_as_text = await _read_rows(conn, parameters, partition is not None)
    event_classes = registry.classes()
    classes: dict[str, tuple[type[DomainEvent], int]] = {}
    facts = []
    for number, row in enumerate(rows, start=1):
        if number % SLICE == 0:
            await asyncio.sleep(0)
        # The time is an aware UTC datetime (PostgreSQL), or (SQLite) the very text SQLite
        # stores, which the views store too (see ``Fact``): parsed here and formatted again
        # for the write, it took a tenth or more of a replay's time.
        position, stream_version, name, schema_version, payload, recorded_at = row
        if payloads_as_text:
            payload = json.loads(payload)
        known = classes.get(name)
        if known is None:
            if not registry.is_known(name):
                raise UnknownEventTypeStored(name, position)
            known = classes[name] = (event_classes[name], registry.current_version(name))
        cls, current = known
        if schema_version != current:
            payload, _ = registry.upcast(name, schema_version, payload)
        event = cls.from_payload(payload)
        if partition is not None and not partition.owns(getattr(event, "article_id", None)):
            raise PartitionMisplaced()
        facts.append(Fact(event, position, stream_version, recorded_at))
    return facts


async def _read_rows(
    conn: AsyncConnection, parameters: dict[str, Any], partitioned: bool
) -> tuple[Sequence[Sequence[Any]], bool]:
    """A window's rows in position order, and whether their payloads are still JSON text."""
    if conn.dialect.name == "postgresql":
        sql, names = _postgres_window(conn.dialect, partitioned)
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        return await driver.fetch(sql, *(parameters[name] for name in names)), True
    document = await conn.scalar(_SQLITE_WINDOW[partitioned], parameters)
    rows = json.loads(document) if document else []
    del document  # megabytes, not needed once parsed
    rows.sort(key=itemgetter(0))  # json_group_array keeps the order, unpromised
    return rows, False


@asynccontextmanager
async def _fresh_views(store: SQLEventStore) -> AsyncIterator[ViewTables]:
    """Empty projection tables of a unique name, dropped again on the way out unless swapped
    in. Their keys and unique constraints come with them, their other indexes later
    (``_index``): a replay never reads by those, and keeping them up row by row cost the
    server more than building them once, sorted, at the end (a replay on every core leaves
    it no core of its own). They are claimed before they exist until after they are gone,
    so that ``drop_abandoned_replays`` leaves them alone."""
    suffix = new_suffix()
    target = _fresh_metadata(suffix, store.engine.dialect.name)
    fresh = view_tables(target, suffix=suffix)
    try:
        async with claimed(store.engine, suffix):
            async with store.transaction() as tx:
                for table in fresh.all():
                    await tx.connection.execute(CreateTable(table))
            try:
                yield fresh
            finally:
                async with store.transaction() as tx:
                    await tx.connection.run_sync(target.drop_all)  # only the tables still there
                    dialect = store.engine.dialect.name
                    for statement in fresh_index_drop_statements(dialect, suffix):
                        await tx.connection.exec_driver_sql(statement)
    finally:
        # However the replay ended: a claim file left behind would outlive every claim on it.
        release_file(store.engine, suffix)


@dataclass(frozen=True)
class LeftoverReport:
    """What ``drop_abandoned_replays`` found: the tables it dropped, and how many replays
    still running it left alone."""

    dropped: tuple[str, ...]
    running: int


async def drop_abandoned_replays(engine: AsyncEngine) -> LeftoverReport:
    """Drop the fresh tables of every replay that no longer runs (killed before it could drop
    them itself), never those of one that does."""
    dropped: list[str] = []
    running = 0
    for suffix in sorted(await replay_suffixes(engine)):
        async with abandoned(engine, suffix) as gone:
            if not gone:
                running += 1
                continue
            dropped += await _drop_replay_tables(engine, suffix)
    return LeftoverReport(tuple(dropped), running)


async def _drop_replay_tables(engine: AsyncEngine, suffix: str) -> list[str]:
    """Drop the tables of the replay of ``suffix`` that are still there; returns their names."""
    target = _fresh_metadata(suffix, engine.dialect.name)
    tables = [table.name for table in view_tables(target, suffix=suffix).all()]
    async with write_transaction(engine) as conn:
        present = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        await conn.run_sync(target.drop_all)  # in the order their keys allow
        for statement in fresh_index_drop_statements(engine.dialect.name, suffix):
            await conn.exec_driver_sql(statement)
    return [name for name in tables if name in present]


def _fresh_metadata(suffix: str, dialect: str) -> MetaData:
    convention: dict[str, Any] = dict(metadata.naming_convention)
    if dialect == "sqlite":
        # SQLite keeps constraint names in the table's own SQL, which a rename keeps: they are
        # the live names from the start. (Index names are global; see ``_swap``.)
        convention["live_table"] = lambda _constraint, table: table.name.removesuffix(suffix)
        for kind in ("pk", "uq", "ck", "fk"):
            convention[kind] = convention[kind].replace("%(table_name)s", "%(live_table)s")
    return MetaData(naming_convention=convention)


async def _index(store: SQLEventStore, fresh: ViewTables) -> None:
    """The fresh tables' search index, then (PostgreSQL) their other indexes, each on a
    connection of its own, before the head is taken. (SQLite, which cannot rename an index,
    gets those in the swap; its search index is a table, which it can rename.)"""
    dialect = store.engine.dialect.name

    async def create_search_index() -> None:
        async with store.transaction() as tx:
            table = _quoted(tx.connection, fresh.article_views)
            for statement in fresh_index_statements(dialect, table, _suffix(fresh)):
                await tx.connection.exec_driver_sql(statement)

    if dialect != "postgresql":
        await create_search_index()
        return

    async def create(index: Index) -> None:
        async with store.transaction() as tx:
            await tx.connection.execute(CreateIndex(index))

    await _together(
        create_search_index(),
        *(create(index) for table in fresh.all() for index in table.indexes),
    )


def _suffix(fresh: ViewTables) -> str:
    return fresh.article_views.name.removeprefix(live_views.article_views.name)


async def _analyze(store: SQLEventStore, fresh: ViewTables) -> None:
    """PostgreSQL: the fresh tables' statistics, before the head is taken (the planner would
    otherwise guess at the new live tables), a table to a connection at once."""
    if store.engine.dialect.name != "postgresql":
        return

    async def analyze(table: Table) -> None:
        async with store.transaction() as tx:
            await tx.connection.exec_driver_sql(f"ANALYZE {_quoted(tx.connection, table)}")

    await _together(*(analyze(table) for table in fresh.all()))


async def _swap(conn: AsyncConnection, fresh: ViewTables) -> None:
    """Replace the live views by the fresh tables, renamed, with the live names for their
    indexes and constraints too (so the schema is exactly what the migrations made)."""
    preparer = conn.dialect.identifier_preparer
    sqlite = conn.dialect.name == "sqlite"
    # The search index goes with the article view it indexes (``ledger.search``).
    before, after = swap_statements(conn.dialect.name, _suffix(fresh))
    for statement in before:
        await conn.exec_driver_sql(statement)
    for live, new in zip(live_views.all(), fresh.all(), strict=True):
        await conn.execute(DropTable(live))
        await conn.exec_driver_sql(
            f"ALTER TABLE {_quoted(conn, new)} RENAME TO {_quoted(conn, live)}"
        )
        if sqlite:
            for index in live.indexes:
                await conn.execute(CreateIndex(index))
            continue
        for old, name in _constraint_names(new, live, preparer.format_constraint):
            await conn.exec_driver_sql(
                f"ALTER TABLE {_quoted(conn, live)} RENAME CONSTRAINT {old} TO {name}"
            )
        for old, name in _index_names(new, live, preparer.format_index):
            await conn.exec_driver_sql(f"ALTER INDEX {old} RENAME TO {name}")
    for statement in after:
        await conn.exec_driver_sql(statement)


def _quoted(conn: AsyncConnection, table: Table) -> str:
    return str(conn.dialect.identifier_preparer.format_table(table))


def _constraint_names(
    new: Table, live: Table, name: Callable[[Constraint], str | None]
) -> list[tuple[str, str]]:
    """(fresh name, live name) of each constraint, paired by kind and columns."""

    def by_shape(table: Table) -> dict[tuple[str, tuple[str, ...]], str]:
        named = {}
        for constraint in table.constraints:
            columns = tuple(c.name for c in getattr(constraint, "columns", ()))
            constraint_name = name(constraint)
            if constraint_name is not None:
                named[(type(constraint).__name__, columns)] = constraint_name
        return named

    fresh_names, live_names = by_shape(new), by_shape(live)
    assert fresh_names.keys() == live_names.keys(), (new.name, live.name)
    return [(fresh_names[shape], live_names[shape]) for shape in sorted(live_names)]


def _index_names(new: Table, live: Table, name: Callable[[Any], str]) -> list[tuple[str, str]]:
    """(fresh name, live name) of each index, paired by columns."""

    def by_columns(table: Table) -> dict[tuple[str, ...], str]:
        return {tuple(c.name for c in index.columns): name(index) for index in table.indexes}

    fresh_names, live_names = by_columns(new), by_columns(live)
    assert fresh_names.keys() == live_names.keys(), (new.name, live.name)
    return [(fresh_names[columns], live_names[columns]) for columns in sorted(live_names)]


async def _compare(
    live_conn: AsyncConnection, live: Table, replay_conn: AsyncConnection, replayed: Table
) -> list[Mismatch]:
    """Merge both tables in key order; every key whose rows differ is a mismatch."""
    key_names = [column.name for column in live.primary_key]
    live_rows = await live_conn.stream(select(live).order_by(*(live.c[n] for n in key_names)))
    new_rows = await replay_conn.stream(
        select(replayed).order_by(*(replayed.c[n] for n in key_names))
    )
    live_iter, new_iter = aiter(live_rows.mappings()), aiter(new_rows.mappings())
    left, right = await anext(live_iter, None), await anext(new_iter, None)
    found: list[Mismatch] = []
    while (left is not None or right is not None) and len(found) < MAX_REPORTED:
        left_key = None if left is None else tuple(left[n] for n in key_names)
        right_key = None if right is None else tuple(right[n] for n in key_names)
        if left_key == right_key:
            assert left is not None
            assert right is not None
            if dict(left) != dict(right):
                found.append(_mismatch(live.name, left_key, dict(left), dict(right)))
            left, right = await anext(live_iter, None), await anext(new_iter, None)
        elif right_key is None or (left_key is not None and left_key < right_key):
            assert left is not None
            found.append(_mismatch(live.name, left_key, dict(left), None))
            left = await anext(live_iter, None)
        else:
            assert right is not None
            found.append(_mismatch(live.name, right_key, None, dict(right)))
            right = await anext(new_iter, None)
    await live_rows.close()
    await new_rows.close()
    return found


def _mismatch(
    table: str, key: Any, live: dict[str, Any] | None, replayed: dict[str, Any] | None
) -> Mismatch:
    row = live if live is not None else replayed
    article_id = None if row is None else row.get("article_id")
    return Mismatch(table, "/".join(str(part) for part in key), article_id, live, replayed)
