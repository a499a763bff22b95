"""Rating requests: disciplines assigned to new articles across a large rater pool, and the
raters' queues read by many connections at once.

    python -m bench.rating_requests [--quick] [--backend sqlite|postgresql]

Prints the requests made per second while assigning (each assignment reads the pool and
appends its requests in one transaction), the SQL statements per assignment, and the
rater-queue query at 16 connections (queries per second, p50 and p99). Full: 1,000
articles across 5,000 raters in 8 disciplines; quick: 40 articles across 200 raters.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import _postgres
from ledger.domain.commands import (
    AssignDisciplines,
    EnrolRater,
    RegisterArticle,
    RegisterDiscipline,
    SetRaterProfile,
)
from ledger.domain.raters import REFERENCE_DISCIPLINES
from ledger.projections.tables import live_views
from ledger.read.requests import rater_queue
from ledger.store.db import create_engine
from ledger.store.migrate import upgrade
from ledger.store.records import Actor
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases.service import EvidenceLedger
from ledger.use_cases.sql_views import sql_ledger

EDITOR = Actor("bench-editor", "editor")
POPULATIONS = ("Adults", "Children", "Older adults")
CONNECTIONS = 16


@dataclass(frozen=True)
class Shape:
    articles: int
    raters: int
    queue_reads: int  # in all, shared by the connections


FULL = Shape(articles=1_000, raters=5_000, queue_reads=8_000)
QUICK = Shape(articles=40, raters=200, queue_reads=320)


def citation(number: int) -> dict[str, Any]:
    return {
        "title": f"A trial of intervention {number}",
        "authors": ["Doe J"],
        "journal": "Journal of Trials",
        "study_type": "Randomized controlled trial",
        "abstract": f"Intervention {number} was tried.",
    }


async def arrange(ledger: EvidenceLedger, shape: Shape, seed: random.Random) -> list[str]:
    """The disciplines, the raters (one in five with a profile of their own) and the
    articles, not yet assigned; returns the rater ids."""
    for name in REFERENCE_DISCIPLINES:
        await ledger.execute(RegisterDiscipline(name), actor=EDITOR)
    raters = [f"r{n:05}" for n in range(shape.raters)]
    for n, rater_id in enumerate(raters):
        discipline = REFERENCE_DISCIPLINES[n % len(REFERENCE_DISCIPLINES)]
        await ledger.execute(EnrolRater(discipline, rater_id=rater_id), actor=EDITOR)
        if n % 5 == 0:
            populations = seed.sample(POPULATIONS, seed.randint(1, 2))
            profile = SetRaterProfile(rater_id, populations, seed.randint(2, 12))
            await ledger.execute(profile, actor=EDITOR)
    for number in range(shape.articles):
        command = RegisterArticle(citation(number), ["Bench"], article_id=f"a{number:05}")
        await ledger.execute(command, actor=EDITOR)
    return raters


async def assign_all(
    ledger: EvidenceLedger, engine: AsyncEngine, shape: Shape, seed: random.Random
) -> dict[str, float]:
    """Assign each article one or two disciplines, counting the SQL statements."""
    statements = 0

    def seen(*_: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    started = time.perf_counter()
    try:
        for number in range(shape.articles):
            disciplines = seed.sample(REFERENCE_DISCIPLINES, seed.randint(1, 2))
            populations = seed.sample(POPULATIONS, seed.randint(0, 1))
            command = AssignDisciplines(f"a{number:05}", disciplines, populations)
            await ledger.execute(command, actor=EDITOR)
    finally:
        seconds = time.perf_counter() - started
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
    async with engine.connect() as conn:
        made = int(
            await conn.scalar(select(func.count()).select_from(live_views.rating_requests)) or 0
        )
    return {
        "requests": made,
        "requests_per_second": made / seconds,
        "assignments_per_second": shape.articles / seconds,
        "statements_per_assignment": statements / shape.articles,
    }


async def read_queues(engine: AsyncEngine, raters: list[str], shape: Shape) -> dict[str, float]:
    """The queue query from ``CONNECTIONS`` connections at once, each its share of reads."""
    timings: list[float] = []
    per_connection = shape.queue_reads // CONNECTIONS

    async def reader(number: int) -> None:
        pick = random.Random(number)
        async with engine.connect() as conn:
            for _ in range(per_connection):
                began = time.perf_counter()
                await rater_queue(conn, pick.choice(raters))
                await conn.rollback()  # each read its own snapshot, as a request's would be
                timings.append(time.perf_counter() - began)

    started = time.perf_counter()
    await asyncio.gather(*(reader(n) for n in range(CONNECTIONS)))
    seconds = time.perf_counter() - started
    cuts = statistics.quantiles(timings, n=100)
    return {
        "queue_reads_per_second": len(timings) / seconds,
        "queue_p50_ms": cuts[49] * 1000,
        "queue_p99_ms": cuts[98] * 1000,
    }


async def measure(url: str, shape: Shape) -> dict[str, float]:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        ledger = sql_ledger(SQLEventStore(engine))
        seed = random.Random(17)
        raters = await arrange(ledger, shape, seed)
        figures = await assign_all(ledger, engine, shape, seed)
        return figures | await read_queues(engine, raters, shape)
    finally:
        await engine.dispose()


def run(backend: str, shape: Shape) -> dict[str, float]:
    return _postgres.on_backend(backend, lambda url: measure(url, shape), "requests")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 articles, 200 raters")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    options = parser.parse_args()
    shape = QUICK if options.quick else FULL
    print(
        f"rating requests on {options.backend}: {shape.articles} articles, {shape.raters} "
        f"raters in {len(REFERENCE_DISCIPLINES)} disciplines"
    )
    figures = run(options.backend, shape)
    print(
        f"requests made:      {figures['requests']:.0f} "
        f"({figures['requests_per_second']:.1f} per second, "
        f"{figures['assignments_per_second']:.1f} assignments per second)\n"
        f"SQL per assignment: {figures['statements_per_assignment']:.1f} statements\n"
        f"rater queue x{CONNECTIONS}: {figures['queue_reads_per_second']:.1f} reads per second, "
        f"p50 {figures['queue_p50_ms']:.2f} ms, p99 {figures['queue_p99_ms']:.2f} ms"
    )


if __name__ == "__main__":
    main()
