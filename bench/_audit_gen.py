"""``bench._ledger_gen``'s ledger, with one "hot" article stream of a given number of events.

The hot article is registered right after the disciplines and raters; its remaining events
are spread evenly over the rest of the log by selection sampling (each later position is
the hot article's with probability "hot events still due / positions still to come"), so it
gets exactly the number asked for, interleaved with everything else. Its events are
decided by the domain's ``decide_*`` functions on its folded state, like every other
article's: many raters submitting, revising and withdrawing ratings (with and without a
comment), subscribers commenting, editors hiding and restoring comments. It is never
retracted, so ratings keep coming to the end. The generator's running totals
(``Expected``) include it, so ``bench._ledger_gen.check_views`` still applies.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bench._ledger_gen import BATCH_ROWS, Generated, _Generator, _Open, insert_rows, raters_for
from ledger.domain import articles, comments, raters
from ledger.domain.events import DomainEvent
from ledger.store.records import Actor
from ledger.store.tables import HEAD_ID, ledger_head, people

__all__ = ["HotGenerated", "generate_with_hot_article"]

# Shares of the hot article's events after its registration; the rest are comments.
HOT_RATING, HOT_MODERATION = 0.70, 0.04


@dataclass(frozen=True)
class HotGenerated:
    generated: Generated
    article_id: str
    article_events: int  # registration included
    article_types: Counter[str]  # the hot article's events by type


class _HotGenerator(_Generator):
    def __init__(self, total: int, hot_events: int, seed: int) -> None:
        super().__init__(total, seed)
        self.hot_events = hot_events
        self.hot: _Open | None = None
        self.hot_types: Counter[str] = Counter()

    def rows(self) -> Iterator[dict[str, Any]]:
        enrolled = len(raters.REFERENCE_DISCIPLINES) + raters_for(self.total)
        if self.total - enrolled < self.hot_events:
            raise ValueError(f"{self.total} events leave no room for {self.hot_events} hot ones")
        base = super().rows()
        for row in base:
            yield row
            if self.position < enrolled:
                continue
            # Every discipline and rater is in: register the hot article, then interleave.
            yield self._register()
            self.hot_types["ArticleRegistered"] += 1
            self.hot = self.pool.pop()  # out of the ordinary pool: it lives to the end
            self.hot.remaining = self.hot_events - 1
            break
        hot = self.hot
        assert hot is not None, "the ledger is too small for its disciplines and raters"
        while self.position < self.total:
            due, left = hot.remaining, self.total - self.position
            if due > 0 and self.rng.random() * left < due:
                hot.remaining -= 1
                yield self._hot_event(hot)
            else:
                yield next(base)

    def _hot_event(self, article: _Open) -> dict[str, Any]:
        state, draw = article.state, self.rng.random()
        decided: tuple[list[DomainEvent], Actor] | None = None
        if draw < HOT_RATING:
            decided = self._rating(article)
        elif draw < HOT_RATING + HOT_MODERATION:
            decided = self._moderation(state)
        if decided is None:  # a comment, or a rating that was not possible now
            author = f"subscriber-{self.rng.randrange(2000)}"
            body = self.rng.choice(_COMMENTS)
            self.expected.subscriber_comments += 1
            posted = comments.decide_post_comment(state, state.article_id, author, body)
            decided = posted, Actor(author, "subscriber")
        (event,), actor = decided
        article.state = articles.evolve(state, event)
        self.hot_types[event.type_name] += 1
        return self.seal(articles.stream_id(state.article_id), article.state.version, event, actor)


_COMMENTS = (
    "Does anyone know whether the intervention group had more physiotherapy visits?",
    "We tried this on our ward last year with similar results.",
    "The supplementary appendix has the per-protocol numbers, which are less convincing.",
    "I would be cautious: the comparator was not usual care in most sites.",
    "Our journal club discussed this today; the raters' comments above were a good start.",
)


async def generate_with_hot_article(
    engine: AsyncEngine,
    total: int,
    hot_events: int,
    *,
    seed: int = 20241125,
    batch_rows: int = BATCH_ROWS,
) -> HotGenerated:
    """Fill the empty, migrated ledger of ``engine`` with ``total`` valid events, of which
    ``hot_events`` belong to one article (as ``bench._ledger_gen.generate`` otherwise)."""
    started = time.perf_counter()
    generator = _HotGenerator(total, hot_events, seed)
    insert_seconds = await insert_rows(engine, generator.rows(), batch_rows)
    hot = generator.hot
    assert hot is not None
    if hot.remaining or hot.state.version != hot_events:
        raise RuntimeError(f"the hot article got {hot.state.version} of {hot_events} events")
    generator.expected.rating_versions = sum(
        generator.types[name] for name in ("RatingSubmitted", "RatingRevised", "RatingWithdrawn")
    )
    async with engine.begin() as conn:
        await conn.execute(insert(people), generator.people)
        await conn.execute(
            update(ledger_head)
            .where(ledger_head.c.id == HEAD_ID)
            .values(
                position=generator.position,
                hash=generator.previous,
                recorded_at=generator.recorded_at,
            )
        )
    generated = Generated(
        events=generator.position,
        seconds=time.perf_counter() - started,
        insert_seconds=insert_seconds,
        head_hash=generator.previous,
        expected=generator.expected,
        types=generator.types,
    )
    return HotGenerated(generated, hot.state.article_id, hot.state.version, generator.hot_types)
