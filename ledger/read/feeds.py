"""The public feeds' read: per discipline, the articles whose score newly shows, newest first.

An article enters a discipline's feed at the moment its discipline score starts to show (its
active ratings reach the score policy's minimum), and stays while it has that many and is not
retracted. The moment is read from the ledger: the recorded time of the rating event that
brought the count up to the minimum, the last time it did (an article that dropped below and
came back entered anew). So the feed is the same after a rebuild, and after any replay. An
article whose discipline is not among its assigned ones is left out while that lasts; one
assigned the discipline after its ratings keeps the time of its crossing, so it may come
back below the newest entries.

Why from the rating versions and not a stored column: the minimum is a per-deployment
setting (``ScorePolicy``), so a moment kept in a projection would be right for one policy
only, and stale after the setting changed until a rebuild. ``rating_versions`` already holds
every submission, revision and withdrawal with its position and recorded time; a running
count over them (a window function, the same on SQLite and PostgreSQL) finds each crossing
exactly, for whatever minimum is set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.domain.raters import discipline_key
from ledger.domain.scores import DisciplineScore, ScorePolicy
from ledger.projections.tables import ViewTables, live_views
from ledger.read.articles import ArticleSummary, load_articles
from ledger.read.scores import in_assigned, load_scores
from ledger.read.vocabulary import discipline_named
from ledger.store.tables import HEAD_ID, ledger_head

__all__ = ["FEED_SIZE", "DisciplineFeed", "FeedEntry", "discipline_feed", "head_position"]

# The feed is bounded: its newest entries only, as feed readers expect.
FEED_SIZE = 50


@dataclass(frozen=True)
class FeedEntry:
    """An article in a discipline's feed: what it is, its score there, and when it entered."""

    article: ArticleSummary
    score: DisciplineScore
    entered_at: datetime  # the recorded time of the rating event that made the score show
    entered_position: int  # that event's global position


@dataclass(frozen=True)
class DisciplineFeed:
    discipline: str  # the registered name ("Physician")
    key: str  # its key, as the feed's address spells it ("physician")
    entries: tuple[FeedEntry, ...]  # newest first


async def head_position(conn: AsyncConnection) -> int:
    """The ledger's head: every change moves it, so a feed read at one position holds until
    it moves."""
    position = await conn.scalar(select(ledger_head.c.position).where(ledger_head.c.id == HEAD_ID))
    return int(position or 0)


async def discipline_feed(
    conn: AsyncConnection,
    name: str,
    policy: ScorePolicy,
    *,
    size: int = FEED_SIZE,
    views: ViewTables = live_views,
) -> DisciplineFeed | None:
    """The feed of the discipline ``name`` means (any spelling of it), or None when no
    discipline has that name."""
    discipline = await discipline_named(conn, name, views=views)
    if discipline is None:
        return None
    entered = (await conn.execute(_entries(discipline, policy, size, views))).all()
    ids = [row.article_id for row in entered]
    articles = await load_articles(conn, ids, views=views)
    scores = await load_scores(conn, ids, policy, views=views)
    # An entry whose score no longer shows when read (an assignment committed between the
    # two statements took the discipline away) is left out.
    shown = {
        row.article_id: score
        for row in entered
        for score in scores.get(row.article_id, ())
        if score.discipline == discipline
    }
    entries = tuple(
        FeedEntry(
            article=articles[row.article_id],
            score=shown[row.article_id],
            entered_at=row.recorded_at,
            entered_position=row.position,
        )
        for row in entered
        if row.article_id in shown and row.article_id in articles
    )
    return DisciplineFeed(discipline, discipline_key(discipline), entries)


def _entries(discipline: str, policy: ScorePolicy, size: int, views: ViewTables) -> Any:
    """The articles in the feed with the position and time each entered it, newest first."""
    versions, raters = views.rating_versions, views.raters
    # A submission adds an active rating, a withdrawal takes one away; a revision neither.
    step = case((versions.c.kind == "submitted", 1), (versions.c.kind == "withdrawn", -1), else_=0)
    steps = (
        select(
            versions.c.article_id,
            versions.c.position,
            versions.c.recorded_at,
            step.label("step"),
            func.sum(step)
            .over(partition_by=versions.c.article_id, order_by=versions.c.position)
            .label("active"),
        )
        .join(raters, raters.c.rater_id == versions.c.rater_id)
        .where(raters.c.discipline == discipline)
        .subquery()
    )
    # A crossing: the step that brought the active ratings up to the minimum; the latest one.
    crossings = (
        select(
            steps.c.article_id,
            steps.c.position,
            steps.c.recorded_at,
            func.row_number()
            .over(partition_by=steps.c.article_id, order_by=steps.c.position.desc())
            .label("latest"),
        )
        .where(steps.c.step == 1, steps.c.active == policy.min_ratings_for_score)
        .subquery()
    )
    scores, articles = views.discipline_scores, views.article_views
    return (
        select(crossings.c.article_id, crossings.c.position, crossings.c.recorded_at)
        .join(
            scores,
            and_(scores.c.article_id == crossings.c.article_id, scores.c.discipline == discipline),
        )
        .join(articles, articles.c.article_id == crossings.c.article_id)
        .where(
            crossings.c.latest == 1,
            # Still showing now (a withdrawal below the minimum, or an assignment without
            # the discipline, took it out of the feed).
            scores.c.rating_count >= policy.min_ratings_for_score,
            in_assigned(scores, views),
            articles.c.retracted.is_(False),
        )
        .order_by(crossings.c.position.desc())
        .limit(size)
    )
