"""The work every system is given: per-writer streams, realistic events, and the timer."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

EVENT_TYPE = "RatingSubmitted"
STREAMS_PER_WRITER = 16
COMMENT = (
    "Practice-changing for stroke units: the absolute risk reduction is modest but the "
    "trial is large, well-conducted and the population looks like ours."
)
_NAMESPACE = uuid.UUID("6f1c1c8e-3b5e-4c59-9d0e-2f4f0b8a7c11")


@dataclass(frozen=True)
class Scenario:
    events_per_append: int
    writers: int
    appends: int  # measured appends, across all writers
    warmup: int  # unmeasured appends per writer, made first

    @property
    def total_events(self) -> int:
        """Events written in all, warm-up included: what the store must hold afterwards."""
        return (self.warmup * self.writers + self.appends) * self.events_per_append

    @property
    def label(self) -> str:
        return f"{self.events_per_append} ev x {self.writers} wr"


@dataclass(frozen=True)
class Batch:
    """One append: events for one stream, at a known version, under a fresh key."""

    writer: int
    stream_id: str
    originator_id: uuid.UUID
    expected_version: int
    payloads: tuple[dict[str, Any], ...]
    idempotency_key: str


def check_count(system: str, stored: int | None, scenario: Scenario) -> None:
    if stored != scenario.total_events:
        raise AssertionError(f"{system}: {stored} events stored, {scenario.total_events} made")


@dataclass(frozen=True)
class Result:
    events: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.events / self.seconds


class WriterPlan:
    """A writer's own streams, visited in turn; versions are tracked, so nothing conflicts."""

    def __init__(self, writer: int, events_per_append: int) -> None:
        self.writer = writer
        self.events_per_append = events_per_append
        self._versions = [0] * STREAMS_PER_WRITER
        self._count = 0

    def batches(self, count: int) -> list[Batch]:
        return [self._next() for _ in range(count)]

    def _next(self) -> Batch:
        slot = self._count % STREAMS_PER_WRITER
        self._count += 1
        article_id = f"bench-w{self.writer}-a{slot}"
        stream_id = f"article:{article_id}"
        version = self._versions[slot]
        self._versions[slot] += self.events_per_append
        payloads = tuple(
            rating(article_id, f"rater-{self.writer}-{self._count}-{n}")
            for n in range(self.events_per_append)
        )
        return Batch(
            writer=self.writer,
            stream_id=stream_id,
            originator_id=uuid.uuid5(_NAMESPACE, stream_id),
            expected_version=version,
            payloads=payloads,
            idempotency_key=str(uuid.uuid4()),
        )


def rating(article_id: str, rater_id: str) -> dict[str, Any]:
    return {
        "article_id": article_id,
        "rating_id": str(uuid.uuid4()),
        "rater_id": rater_id,
        "discipline": "Physician",
        "relevance": 6,
        "newsworthiness": 5,
        "comment": COMMENT,
        "newsworthiness_unknown": False,
        "beyond_expertise": False,
    }


def _shares(total: int, writers: int) -> list[int]:
    return [total // writers + (1 if w < total % writers else 0) for w in range(writers)]


def _work(scenario: Scenario) -> tuple[list[list[Batch]], list[list[Batch]]]:
    """Warm-up and measured batches per writer, all built before the clock starts."""
    plans = [WriterPlan(w, scenario.events_per_append) for w in range(scenario.writers)]
    warmup = [plan.batches(scenario.warmup) for plan in plans]
    shares = _shares(scenario.appends, scenario.writers)
    return warmup, [plan.batches(n) for plan, n in zip(plans, shares, strict=True)]


async def measure_async(scenario: Scenario, append: Callable[[Batch], Awaitable[None]]) -> Result:
    """Run ``append`` from one asyncio task per writer; time the measured appends only."""

    async def drive(batches: list[Batch]) -> None:
        for batch in batches:
            await append(batch)

    warmup, measured = _work(scenario)
    await asyncio.gather(*(drive(batches) for batches in warmup))
    started = time.perf_counter()
    await asyncio.gather(*(drive(batches) for batches in measured))
    elapsed = time.perf_counter() - started
    return Result(scenario.appends * scenario.events_per_append, elapsed)


def measure_threads(scenario: Scenario, append: Callable[[Batch], None]) -> Result:
    """Run ``append`` from one thread per writer; time the measured appends only."""
    warmup, measured = _work(scenario)
    errors: list[BaseException] = []

    def run_all(work: list[list[Batch]]) -> float:
        barrier = threading.Barrier(len(work) + 1)

        def drive(batches: list[Batch]) -> None:
            barrier.wait()
            try:
                for batch in batches:
                    append(batch)
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=drive, args=(batches,)) for batches in work]
        for thread in threads:
            thread.start()
        barrier.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        return time.perf_counter() - started

    run_all(warmup)
    elapsed = run_all(measured)
    return Result(scenario.appends * scenario.events_per_append, elapsed)
