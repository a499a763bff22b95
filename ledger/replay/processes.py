"""Replaying the log on several cores: the articles split into partitions, a process each.

A replay's cost is Python's, one event at a time (decoding, folding, preparing writes), and
one interpreter runs on one core. The views of one article depend only on that article's
events, and raters and disciplines only on their own streams, so the log splits without
any coordination: an article stream belongs to the partition of its id's last character
(ids end in a hex digit or a counter, so the partitions come out about even), every other
stream to partition 0. Each partition is replayed into the same fresh tables, rows of
different partitions never sharing a key. The calling process replays partition 0 itself;
the others get a process each, without the caller's ``__main__`` (``_main_left_behind``).
Never forked from the caller: it runs an event loop and driver threads, which a forked child
would inherit half-copied. They are forked instead from multiprocessing's fork server, a
fresh interpreter with no threads that imports SQLAlchemy and the ledger once (a second or
so) and is kept for the caller's lifetime: every later worker starts in milliseconds. Where
there is no fork server (Windows), each worker is spawned and imports them itself.

A first worker may take a second or so to start, longer while the caller replays beside it
on a core it needs. So the caller waits until every worker is connected and ready
(``Workers.started``) and they all begin together.

An event whose article is not that of its stream (possible only for events appended to the
store directly, past the use cases) would be folded by the wrong partition: a worker that
meets one says so (``PartitionMisplaced``) and the replay is made again in one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import pickle
import sys
import traceback
import types
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext, SpawnContext
from multiprocessing.process import BaseProcess
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.domain.events import EventRegistry
from ledger.replay.backends import backend_of

__all__ = [
    "Partition",
    "PartitionMisplaced",
    "ReplayWorkerFailed",
    "Shared",
    "partition_count",
    "partition_sql",
    "started_partitions",
    "worker_url",
]

# A replay of fewer events than this stays in one process: starting another (an interpreter
# importing SQLAlchemy and the ledger) costs about as much as replaying some ten thousand.
PARALLEL_FROM = 50_000
MAX_PARTITIONS = 4
# How often the caller adds the workers' progress to its own.
PROGRESS_EVERY = 0.25
# How often the caller looks whether the workers are ready.
READY_POLL = 0.01

MAX_TRACEBACK = 16_000  # characters of a failed worker's traceback passed on
_ARTICLE = "article:"


@dataclass(frozen=True)
class Partition:
    index: int
    count: int

    def owns(self, article_id: str | None) -> bool:
        """Whether an event of this article (None: of no article) belongs here."""
        if article_id is None or not article_id:
            return self.index == 0
        return ord(article_id[-1]) % self.count == self.index


@dataclass
class Shared:
    """What the caller and one worker share: integers in shared memory, each written by
    the worker alone."""

    done: Any  # the events it replayed
    ready: Any  # 1 once it is ready to replay


class PartitionMisplaced(Exception):
    """An event lies in a stream of another partition than its article's."""


class ReplayWorkerFailed(RuntimeError):
    """A partition's process failed; the message carries its traceback."""


def partition_sql(last_character: str) -> str:
    """The condition a window query adds to read one partition's events (``Partition.owns``
    of the stream's article id, worked out from the stream id alone; ``last_character``: the
    backend's SQL for the code point of the stream id's last character)."""
    return (
        f"CASE WHEN substr(stream_id, 1, {len(_ARTICLE)}) = '{_ARTICLE}'"
        f" THEN {last_character} % :partitions ELSE 0 END = :partition"
    )


def worker_url(engine: AsyncEngine) -> str | None:
    """The URL another process opens the same database with, or None when it cannot (an
    in-memory SQLite database, or SQLite with driver options)."""
    if not backend_of(engine.dialect).can_share(engine):
        return None
    return engine.url.render_as_string(hide_password=False)


def partition_count(
    engine: AsyncEngine, registry: EventRegistry, events: int, requested: int | None = None
) -> int:
    """How many partitions a replay of ``events`` events gets: ``requested``, or else one
    per core (up to ``MAX_PARTITIONS``) for a log large enough to gain; always one where
    another process could not follow (no URL it can open, or a registry that does not
    pickle, such as one with an upcaster defined inside a function or in ``__main__``)."""
    if requested is not None and requested < 1:
        raise ValueError(f"at least one partition, not {requested}")
    count = requested or (min(_cores(), MAX_PARTITIONS) if events >= PARALLEL_FROM else 1)
    if count == 1 or worker_url(engine) is None:
        return 1
    try:
        with _main_left_behind():  # as a worker gets it
            pickle.dumps(registry)
    except Exception:  # pickling can fail in many ways, none of them ours to report
        return 1
    return count


@contextmanager
def _main_left_behind() -> Iterator[None]:
    """While workers start, ``__main__`` is an empty module. A worker (spawned, or forked
    from the fork server) would otherwise import the caller's main module again, though it
    needs only this package: for the command line, its whole module tree (a second or two
    before the first event), for a script, its top-level code run again. Anything defined in
    ``__main__`` then does not pickle, and so is never sent to a worker that could not find
    it."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def _cores() -> int:
    """The cores this process may run on (a container or ``taskset`` may allow fewer than
    the machine has)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _starting(target: Callable[..., int]) -> ForkServerContext | SpawnContext:
    """How workers start: forked from the fork server, which imports ``target``'s module
    (and so the ledger) once, when it starts with the first worker; spawned where there is
    none."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # (Never "__main__": to the fork server that means running the caller's script again.)
    if target.__module__ != "__main__":
        context.set_forkserver_preload([target.__module__])
    return context


def _child(target: Callable[..., int], args: tuple[Any, ...], answer: Connection) -> None:
    """A worker process: run ``target``, send back how it went."""
    try:
        answer.send(("ok", target(*args)))
    except PartitionMisplaced:
        answer.send(("misplaced", None))
    except BaseException:
        answer.send(("failed", traceback.format_exc()[-MAX_TRACEBACK:]))
    finally:
        answer.close()


@dataclass
class _Worker:
    process: BaseProcess
    answer: Connection
    shared: Shared
    reported: int = 0


class Workers:
    """The partitions replayed elsewhere, and their progress."""

    def __init__(self, workers: Sequence[_Worker], progress: Callable[[int], None] | None):
        self._workers = workers
        self._progress = progress

    def ready(self) -> bool:
        """Whether every worker is ready to replay."""
        return all(worker.shared.ready.value for worker in self._workers)

    async def started(self) -> None:
        """Until every worker is ready, or has ended (``wait`` tells how). (Polled: the
        workers say so in shared memory, which nothing here can await.)"""
        while True:
            waiting = [w for w in self._workers if not w.shared.ready.value]
            if all(not worker.process.is_alive() for worker in waiting):
                return
            await asyncio.sleep(READY_POLL)

    def report(self) -> None:
        """Pass on what the workers replayed since the last report."""
        for worker in self._workers:
            done = worker.shared.done.value
            if self._progress is not None and done > worker.reported:
                self._progress(done - worker.reported)
            worker.reported = done

    async def keep_reporting(self) -> None:
        while True:
            await asyncio.sleep(PROGRESS_EVERY)
            self.report()

    async def wait(self) -> None:
        """Until every worker has ended; raises ``PartitionMisplaced`` or
        ``ReplayWorkerFailed`` if one did not finish its partition."""
        loop = asyncio.get_running_loop()
        # The answers are read as they come (a large one would otherwise fill the pipe and
        # keep its process from ending), then the processes are seen to end.
        answers = await asyncio.gather(
            *(loop.run_in_executor(None, _answer_of, w.answer) for w in self._workers)
        )
        await asyncio.gather(*(loop.run_in_executor(None, w.process.join) for w in self._workers))
        self.report()
        for worker, (outcome, detail) in zip(self._workers, answers, strict=True):
            if outcome == "misplaced":
                raise PartitionMisplaced()
            if outcome != "ok":
                code = worker.process.exitcode
                raise ReplayWorkerFailed(detail or f"a replay process ended with code {code}")


def _answer_of(answer: Connection) -> tuple[str, Any]:
    try:
        outcome, detail = answer.recv()
    except EOFError:  # it died without a word (killed, out of memory)
        return "failed", None
    return str(outcome), detail


@asynccontextmanager
async def started_partitions(
    target: Callable[..., int],
    args_of: Callable[[Partition, Shared], tuple[Any, ...]],
    partitions: Sequence[Partition],
    progress: Callable[[int], None] | None,
) -> AsyncIterator[Workers]:
    """A process for each of ``partitions``, running ``target(*args_of(partition, shared))``
    (``shared``: where it adds its progress, and says it is ready); stopped on the way out
    if still running (the caller failed, or was cancelled)."""
    context = _starting(target)
    workers: list[_Worker] = []
    try:
        for partition in partitions:
            shared = Shared(
                done=context.Value("q", 0, lock=False), ready=context.Value("b", 0, lock=False)
            )
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(
                target=_child,
                args=(target, args_of(partition, shared), sender),
                name=f"ledger-replay-{partition.index}-of-{partition.count}",
                daemon=True,
            )
            with _main_left_behind():
                process.start()
            sender.close()  # the child's end: an EOF here if it dies without answering
            workers.append(_Worker(process, receiver, shared))
        running = Workers(workers, progress)
        reporting = asyncio.create_task(running.keep_reporting())
        try:
            yield running
        finally:
            reporting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reporting
    finally:
        for worker in workers:
            if worker.process.is_alive():
                worker.process.terminate()
        for worker in workers:
            await asyncio.get_running_loop().run_in_executor(None, worker.process.join)
            with contextlib.suppress(OSError):
                worker.answer.close()
