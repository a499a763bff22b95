"""What a replay holds between windows: one working set for the whole log, within bounds.

The rows hot across windows (an article is touched by each of its events, its scores by
each rating) are loaded and written once, not once a window; rows leave the working set,
written, when their article goes idle or the working set is full, and all of it at the end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.projections.fold import Fact, Keys, Rows, WorkingSet, apply, keys_of
from ledger.projections.projector import Projector
from ledger.replay.processes import Partition
from ledger.replay.windows import SLICE

__all__ = ["Bounds", "Replay"]

# Articles leave whole (their row, topics, scores, and the ratings and comments held), once
# IDLE windows have passed without an event of theirs (most never get another: written
# then, they are not left for the end), or when a part is over its bound, the least recently
# used first. A replay in partitions gives each partition its share of the window and of the
# bounds: together they hold what one process would, over the same stretch of the log.
IDLE = 2
KEPT_ARTICLES = 4000
KEPT_RATINGS = 30_000
KEPT_COMMENTS = 6000


class Bounds(NamedTuple):
    """How many of each the working set keeps between windows."""

    articles: int
    ratings: int
    comments: int


class Replay:
    """The projector over a replay: one working set for the whole log, kept within bounds."""

    def __init__(self, projector: Projector, partition: Partition | None = None) -> None:
        self.projector = projector
        self.partition = partition
        share = 1 if partition is None else partition.count
        self.kept = Bounds(KEPT_ARTICLES // share, KEPT_RATINGS // share, KEPT_COMMENTS // share)
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
