"""Alert fan-out: subscribers with varied profiles, ratings arriving one by one, a deliverer
running beside them and webhooks to a receiver on loopback.

    python -m bench.alert_fanout [--quick] [--backend sqlite|postgresql]

Prints the alerts computed per second (made due by the ratings, in the ratings'
transactions) and the lag from a rating's commit to the arrival of the webhook of each alert
it made due (p50, p99). Full: 10,000 subscribers and 1,000 ratings; quick: 300 and 120.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import _postgres
from bench._webhook_receiver import loopback_webhooks
from ledger.delivery.deliverer import Deliverer
from ledger.delivery.running import deliverer_of
from ledger.delivery.settings import DeliverySettings
from ledger.delivery.tables import deliveries
from ledger.domain.commands import (
    EnrolRater,
    RegisterArticle,
    RegisterDiscipline,
    SetAlertProfile,
    SubmitRating,
)
from ledger.projections.tables import live_views
from ledger.store.db import create_engine
from ledger.store.migrate import upgrade
from ledger.store.records import Actor
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases.service import EvidenceLedger
from ledger.use_cases.sql_views import sql_ledger

DISCIPLINES = ("Physician", "Nurse", "Pharmacist")
EDITOR = Actor("bench-editor", "editor")
DELIVERIES = ["immediate"] * 7 + ["daily"] * 2 + ["none"]
DRAIN_TIMEOUT = 300.0


@dataclass(frozen=True)
class Shape:
    subscribers: int
    raters: int
    articles: int  # raters x articles = the ratings


FULL = Shape(subscribers=10_000, raters=50, articles=20)
QUICK = Shape(subscribers=300, raters=15, articles=8)


@dataclass
class Receiver:
    """The webhook receiver: when each alert's webhook arrived (first time), by position."""

    url: str = ""
    arrivals: dict[str, tuple[int, float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def arrived(self, body: bytes, headers: dict[str, str]) -> int:
        now = time.perf_counter()
        message = json.loads(body)
        with self.lock:
            self.arrivals.setdefault(message["deliveryId"], (message["alert"]["position"], now))
        return 204


@contextmanager
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    with loopback_webhooks(found.arrived) as url:
        found.url = url
        yield found


async def arrange(ledger: EvidenceLedger, shape: Shape, hook: str, seed: random.Random) -> None:
    for name in DISCIPLINES:
        await ledger.execute(RegisterDiscipline(name), actor=EDITOR)
    for n in range(shape.raters):
        command = EnrolRater(rater_id=f"r{n}", discipline=DISCIPLINES[n % len(DISCIPLINES)])
        await ledger.execute(command, actor=EDITOR)
    for n in range(shape.articles):
        citation = {
            "title": f"Trial {n}",
            "authors": ["Doe J"],
            "journal": "Journal of Trials",
            "study_type": "Randomized controlled trial",
            "abstract": "Something was tried.",
        }
        command = RegisterArticle(article_id=f"a{n}", citation=citation, topics=["Back Pain"])
        await ledger.execute(command, actor=EDITOR)
    for n in range(shape.subscribers):
        wanted = seed.sample(DISCIPLINES, seed.randint(1, 2))
        profile = SetAlertProfile(
            f"s{n}",
            wanted,
            seed.randint(3, 6),
            seed.randint(3, 6),
            delivery=seed.choice(DELIVERIES),
            webhook_url=hook,
        )
        await ledger.execute(profile, actor=Actor(f"s{n}", "subscriber"))


async def pending_immediate(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        query = (
            select(func.count())
            .select_from(deliveries)
            .where(deliveries.c.cadence == "immediate", deliveries.c.state == "pending")
        )
        return int(await conn.scalar(query) or 0)


async def due_count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(live_views.due_alerts)) or 0)


@asynccontextmanager
async def delivering(engine: AsyncEngine) -> AsyncIterator[Deliverer]:
    """The deliverer as ``serve`` and ``deliver`` make it, with a pass every 20 ms (as
    ``deliver --watch --interval 0.02`` would) and batches of 100."""
    settings = DeliverySettings(interval_seconds=0.02, batch=100)
    stop = asyncio.Event()
    async with deliverer_of(engine, settings) as deliverer:
        watching = asyncio.create_task(deliverer.watch(stop))
        try:
            yield deliverer
        finally:
            stop.set()
            await watching


async def measure(url: str, shape: Shape) -> dict[str, float]:
    seed = random.Random(16)
    engine = create_engine(url)
    try:
        await upgrade(engine)
        ledger = sql_ledger(SQLEventStore(engine))
        with receiver() as hooks:
            await arrange(ledger, shape, hooks.url, seed)
            before = await due_count(engine)
            ratings = [(r, a) for r in range(shape.raters) for a in range(shape.articles)]
            seed.shuffle(ratings)
            committed: dict[int, float] = {}
            async with delivering(engine) as deliverer:
                start = time.perf_counter()
                for rater, article in ratings:
                    rating = SubmitRating(
                        f"a{article}", f"r{rater}", seed.randint(3, 7), seed.randint(3, 7)
                    )
                    result = await ledger.execute(rating, actor=Actor(f"r{rater}", "rater"))
                    committed[result.last_position] = time.perf_counter()
                rating_seconds = time.perf_counter() - start
                alerts = await due_count(engine) - before
                deadline = time.monotonic() + DRAIN_TIMEOUT
                while time.monotonic() < deadline:
                    await deliverer.run_once()
                    if await pending_immediate(engine) == 0:
                        break
                    await asyncio.sleep(0.05)
        lags = sorted(at - committed[p] for p, at in hooks.arrivals.values() if p in committed)
    finally:
        await engine.dispose()
    return {
        "ratings": len(ratings),
        "ratings_per_second": len(ratings) / rating_seconds,
        "alerts": alerts,
        "alerts_per_second": alerts / rating_seconds,
        "webhooks": len(lags),
        "lag_p50_ms": 1000 * statistics.median(lags) if lags else float("nan"),
        "lag_p99_ms": 1000 * lags[min(len(lags) - 1, int(0.99 * len(lags)))]
        if lags
        else float("nan"),
    }


def run(backend: str, shape: Shape) -> dict[str, float]:
    return _postgres.on_backend(backend, lambda url: measure(url, shape), "fanout")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few hundred subscribers")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    options = parser.parse_args()
    shape = QUICK if options.quick else FULL
    print(
        f"alert fan-out on {options.backend}: {shape.subscribers} subscribers, "
        f"{shape.raters * shape.articles} ratings"
    )
    figures = run(options.backend, shape)
    lines = [
        f"ratings committed: {figures['ratings']:.0f} "
        f"({figures['ratings_per_second']:.1f} per second, alerts computed in each)",
        f"alerts computed:   {figures['alerts']:.0f} "
        f"({figures['alerts_per_second']:.1f} per second)",
        f"webhooks received: {figures['webhooks']:.0f} (immediate profiles)",
        f"commit to webhook: p50 {figures['lag_p50_ms']:.1f} ms, "
        f"p99 {figures['lag_p99_ms']:.1f} ms",
    ]
    print("\n".join(f"  {line}" for line in lines))


if __name__ == "__main__":
    main()
