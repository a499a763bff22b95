"""The writes of ``bench.http``'s cache-miss runs: one before every request, made by the
load generator through the ledger's use cases on a database connection of its own (so the
server's CPU time counts the read it answers, not the write).

- ``rating``: the article page's miss. The article's rating by one of its raters is revised,
  its relevance going back and forth, so every write changes the article.
- ``comment``: the list page's miss. A subscriber comments on an article the list does not
  show on that page: the ledger's head moves, the page's articles do not.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from ledger.domain.commands import PostComment, ReviseRating
from ledger.domain.errors import ValidationFailed
from ledger.store.db import create_engine
from ledger.store.records import Actor
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases.sql_views import sql_ledger

__all__ = ["WriteSpec", "Writer"]


@dataclass(frozen=True)
class WriteSpec:
    database_url: str
    kind: str  # "rating" or "comment"
    # rating: (article id, rater id, relevance now, newsworthiness now) per article asked for;
    # comment: (article id, subscriber id, 0, 0), the articles to comment on.
    targets: list[tuple[str, str, int, int]]


class Writer:
    def __init__(self, spec: WriteSpec) -> None:
        self.spec = spec
        self.engine = create_engine(spec.database_url)
        self.ledger = sql_ledger(SQLEventStore(self.engine))
        self.writes = 0
        # Each rating's relevance as this writer left it: the next write changes it. One
        # write at a time per rating (two connections may ask for one article at once).
        self._relevance = {(a, r): rel for a, r, rel, _ in spec.targets}
        self._locks = {(a, r): asyncio.Lock() for a, r, _, _ in spec.targets}

    async def write(self, number: int) -> None:
        """The write before request ``number`` (which asks for ``targets[number % len]``)."""
        article_id, actor_id, _, newsworthiness = self.spec.targets[number % len(self.spec.targets)]
        if self.spec.kind == "rating":
            async with self._locks[article_id, actor_id]:
                now = self._relevance[article_id, actor_id]
                changed = 7 if now != 7 else 6
                try:
                    await self._revise(article_id, actor_id, changed, newsworthiness)
                except ValidationFailed:
                    # An earlier run left it there: the other value is a change.
                    changed = 13 - changed
                    await self._revise(article_id, actor_id, changed, newsworthiness)
                self._relevance[article_id, actor_id] = changed
        else:
            await self.ledger.execute(
                PostComment(
                    article_id=article_id,
                    author_id=actor_id,
                    body=f"Comment {number} of the benchmark.",
                ),
                actor=Actor(actor_id, "subscriber"),
            )
        self.writes += 1

    async def _revise(
        self, article_id: str, rater_id: str, relevance: int, newsworthiness: int
    ) -> None:
        await self.ledger.execute(
            ReviseRating(
                article_id=article_id,
                rater_id=rater_id,
                relevance=relevance,
                newsworthiness=newsworthiness,
            ),
            actor=Actor(rater_id, "rater"),
        )

    async def close(self) -> None:
        await self.engine.dispose()
