"""The read side: plain dataclasses from the projections, in batch forms for loaders.

Every function here runs a fixed number of statements however many articles it is asked
about, so an API page of 5 or of 50 articles costs the same number of round trips.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.citation import citation_line
from ledger.scores import DisciplineScore, ScorePolicy, score_of
from ledger.tables import ViewTables, live_views

__all__ = [
    "ArticleView",
    "Citation",
    "RaterComment",
    "SubscriberComment",
    "article_views",
    "disciplines",
    "related_articles",
    "topics",
]


@dataclass(frozen=True)
class Citation:
    title: str
    authors: tuple[str, ...]
    journal: str
    journal_abbreviation: str | None
    published_on: str | None
    volume: str | None
    issue: str | None
    pages: str | None
    doi: str | None
    pmid: str | None
    publication_note: str | None

    @property
    def line(self) -> str:
        return citation_line(
            title=self.title,
            authors=self.authors,
            journal=self.journal,
            journal_abbreviation=self.journal_abbreviation,
            published_on=self.published_on,
            volume=self.volume,
            issue=self.issue,
            pages=self.pages,
            doi=self.doi,
            publication_note=self.publication_note,
        )


@dataclass(frozen=True)
class RaterComment:
    """Shown publicly by discipline only; ``rater_id`` is for auditors' eyes."""

    discipline: str
    body: str
    posted_at: datetime
    rater_id: str


@dataclass(frozen=True)
class SubscriberComment:
    comment_id: str
    author_id: str
    body: str
    posted_at: datetime
    hidden: bool


@dataclass(frozen=True)
class ArticleView:
    article_id: str
    citation: Citation
    study_type: str
    abstract: str
    topics: tuple[str, ...]
    retracted: bool
    version: int
    registered_at: datetime
    discipline_scores: tuple[DisciplineScore, ...]
    rater_comments: tuple[RaterComment, ...]
    subscriber_comments: tuple[SubscriberComment, ...]


async def article_views(
    conn: AsyncConnection,
    article_ids: Sequence[str],
    policy: ScorePolicy,
    *,
    include_hidden: bool = False,
    views: ViewTables = live_views,
) -> dict[str, ArticleView]:
    """The views of these articles (absent ids are left out), in five statements."""
    ids = sorted(set(article_ids))
    if not ids:
        return {}
    v = views
    rows = (
        await conn.execute(select(v.article_views).where(v.article_views.c.article_id.in_(ids)))
    ).all()
    topic_rows = await conn.execute(
        select(v.article_topics)
        .where(v.article_topics.c.article_id.in_(ids))
        .order_by(v.article_topics.c.article_id, v.article_topics.c.ordinal)
    )
    score_rows = await conn.execute(
        select(v.discipline_scores)
        .where(v.discipline_scores.c.article_id.in_(ids))
        .order_by(v.discipline_scores.c.article_id, v.discipline_scores.c.discipline)
    )
    rating_rows = await conn.execute(
        select(v.active_ratings)
        .where(v.active_ratings.c.article_id.in_(ids), v.active_ratings.c.comment.is_not(None))
        .order_by(v.active_ratings.c.article_id, v.active_ratings.c.submitted_position)
    )
    comments = v.subscriber_comments
    comment_query = select(comments).where(comments.c.article_id.in_(ids))
    if not include_hidden:
        comment_query = comment_query.where(comments.c.hidden.is_(False))
    comment_rows = await conn.execute(
        comment_query.order_by(comments.c.article_id, comments.c.posted_position)
    )

    topics_of: dict[str, list[str]] = defaultdict(list)
    for row in topic_rows:
        topics_of[row.article_id].append(row.topic)
    scores_of: dict[str, list[DisciplineScore]] = defaultdict(list)
    for row in score_rows:
        scores_of[row.article_id].append(
            score_of(
                row.discipline,
                row.relevance_sum,
                row.newsworthiness_sum,
                row.rating_count,
                policy,
            )
        )
    rater_comments_of: dict[str, list[RaterComment]] = defaultdict(list)
    for row in rating_rows:
        rater_comments_of[row.article_id].append(
            RaterComment(row.discipline, row.comment, row.rated_at, row.rater_id)
        )
    subscriber_comments_of: dict[str, list[SubscriberComment]] = defaultdict(list)
    for row in comment_rows:
        subscriber_comments_of[row.article_id].append(
            SubscriberComment(row.comment_id, row.author_id, row.body, row.posted_at, row.hidden)
        )
    return {
        row.article_id: ArticleView(
            article_id=row.article_id,
            citation=Citation(
                title=row.title,
                authors=tuple(json.loads(row.authors)),
                journal=row.journal,
                journal_abbreviation=row.journal_abbreviation,
                published_on=row.published_on,
                volume=row.volume,
                issue=row.issue,
                pages=row.pages,
                doi=row.doi,
                pmid=row.pmid,
                publication_note=row.publication_note,
            ),
            study_type=row.study_type,
            abstract=row.abstract,
            topics=tuple(topics_of[row.article_id]),
            retracted=row.retracted,
            version=row.version,
            registered_at=row.registered_at,
            discipline_scores=tuple(scores_of[row.article_id]),
            rater_comments=tuple(rater_comments_of[row.article_id]),
            subscriber_comments=tuple(subscriber_comments_of[row.article_id]),
        )
        for row in rows
    }


async def related_articles(
    conn: AsyncConnection, article_id: str, first: int, *, views: ViewTables = live_views
) -> list[str]:
    """Articles sharing topics with this one: most shared topics first, then newest."""
    mine = views.article_topics.alias("mine")
    theirs = views.article_topics.alias("theirs")
    articles = views.article_views
    shared = func.count().label("shared")
    query = (
        select(theirs.c.article_id)
        .join(mine, mine.c.topic == theirs.c.topic)
        .join(articles, articles.c.article_id == theirs.c.article_id)
        .where(mine.c.article_id == article_id, theirs.c.article_id != article_id)
        .group_by(theirs.c.article_id, articles.c.published_on, articles.c.registered_position)
        .order_by(
            shared.desc(),
            articles.c.published_on.desc().nulls_last(),
            articles.c.registered_position.desc(),
        )
        .limit(first)
    )
    return list((await conn.scalars(query)).all())


async def topics(conn: AsyncConnection, *, views: ViewTables = live_views) -> list[tuple[str, int]]:
    """Every topic with the number of articles that carry it, by name."""
    table = views.article_topics
    query = (
        select(table.c.topic, func.count().label("articles"))
        .group_by(table.c.topic)
        .order_by(table.c.topic)
    )
    return [(row.topic, row.articles) for row in await conn.execute(query)]


async def disciplines(conn: AsyncConnection, *, views: ViewTables = live_views) -> list[str]:
    table = views.disciplines
    return list(
        (await conn.scalars(select(table.c.name).order_by(table.c.registered_position))).all()
    )
