"""The replay's pipeline: read -> decode -> fold -> write, the stages overlapping.

The next window is read (and decoded, ``ledger.replay.windows``) while this one is folded
(``ledger.replay.working_set``), and a window's rows are written (in a transaction of their
own) while the next is folded, so the database works while Python decodes and folds. A fold
waits for the write before it only when it has rows to load (the write may be putting them
back); writes go one at a time, in order.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from ledger.projections.fold import Fact, WorkingSet
from ledger.replay import windows
from ledger.replay.processes import Partition
from ledger.replay.working_set import Replay
from ledger.store.sql_store import SQLEventStore

__all__ = [
    "Progress",
    "ProgressCounter",
    "cancelled",
    "fewer_collections",
    "flush",
    "replay_log",
    "together",
]

# The cyclic collector's first threshold while a replay runs (see ``fewer_collections``).
YOUNG_COLLECTION = 200_000
Progress = Callable[[int], None]


async def replay_log(
    store: SQLEventStore,
    replay: Replay,
    *,
    after: int,
    upto: int | None,
    progress: Progress | None,
) -> int:
    """Project the log after ``after`` (up to ``upto``); returns the position reached. The
    rows still held are left to write (``flush``). With the replay's partition, only its
    events, up to ``upto`` (which must be given)."""
    partition = replay.partition
    assert partition is None or upto is not None, "a partition is replayed up to a position"
    position = await _pipeline(store, replay, after, upto, progress)
    if partition is not None:
        # Every position up to ``upto`` was committed before the replay began (positions
        # become visible in order), and the partition has read every span up to it.
        assert upto is not None
        return upto
    return await _to_the_end(store, replay, position, upto, progress)


async def _pipeline(
    store: SQLEventStore, replay: Replay, after: int, upto: int | None, progress: Progress | None
) -> int:
    """Read, fold and write windows, overlapping, until the reads run out; returns the
    position reached."""
    partition = replay.partition
    position = after
    reading = _read_after(store, partition, upto, after, full=True)
    writing: asyncio.Task[None] | None = None
    try:
        while reading is not None:
            facts = await reading
            if partition is not None:
                assert upto is not None
                position = windows.span_end(position, upto)
            elif facts:
                position = facts[-1].position
            full = len(facts) == windows.WINDOW
            reading = _read_after(store, partition, upto, position, full=full)
            if not facts:
                continue
            writing = await _fold(store, replay, facts, writing)
            if progress is not None:
                progress(len(facts))
        if writing is not None:
            await writing
    finally:
        await cancelled(reading, writing)
    return position


def _read_after(
    store: SQLEventStore, partition: Partition | None, upto: int | None, last: int, full: bool
) -> asyncio.Task[list[Fact]] | None:
    """The read of the window after position ``last``, started; None past the end. The whole
    log is read until a window is short (``full``: it was not); a partition, through every
    span of positions up to ``upto``, with or without events of its own."""
    if partition is None:
        more = full and (upto is None or last < upto)
    else:
        assert upto is not None
        more = last < upto
    if not more:
        return None
    return asyncio.create_task(windows.read_window(store, last, upto, partition=partition))


async def _fold(
    store: SQLEventStore, replay: Replay, facts: Sequence[Fact], writing: asyncio.Task[None] | None
) -> asyncio.Task[None]:
    """Fold a window in (its missing rows loaded first); returns the write, started, of
    what leaves the working set."""
    keys, missing = replay.missing(facts)
    if missing:
        if writing is not None:
            await writing  # what it writes may be what is to be loaded
        async with store.engine.connect() as conn:
            await replay.projector.load(conn, replay.ws, missing)
    leaving = await replay.fold(facts, keys)
    if writing is not None:
        await writing  # one write at a time, in order
    return asyncio.create_task(_write(store, replay, leaving))


async def _to_the_end(
    store: SQLEventStore, replay: Replay, position: int, upto: int | None, progress: Progress | None
) -> int:
    """A short window was the end of the log as it stood. The end is confirmed by the
    store's own read, with whatever was appended meanwhile."""
    while upto is None or position < upto:
        page = await store.read_all(position, windows.WINDOW)
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


async def flush(store: SQLEventStore, replay: Replay) -> None:
    """Write every change the replay still holds."""
    async with store.transaction() as tx:
        await replay.flush(tx.connection)


async def _write(store: SQLEventStore, replay: Replay, leaving: WorkingSet) -> None:
    async with store.transaction() as tx:
        await replay.projector.write(tx.connection, leaving)


async def together(*steps: Awaitable[None]) -> None:
    """Run ``steps`` at once; if one fails, stop the others."""
    tasks = [asyncio.ensure_future(step) for step in steps]
    try:
        await asyncio.gather(*tasks)
    finally:
        await cancelled(*tasks)


async def cancelled(*tasks: asyncio.Task[Any] | None) -> None:
    """Stop the tasks still running (on an error), and let them clean up."""
    running = [task for task in tasks if task is not None and not task.done()]
    for task in running:
        task.cancel()
    for task in running:
        with suppress(asyncio.CancelledError):
            await task


class ProgressCounter:
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


class _CollectorTuning:
    """The collector's thresholds before the first replay still running began."""

    running = 0
    thresholds = gc.get_threshold()


@contextmanager
def fewer_collections() -> Iterator[None]:
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
