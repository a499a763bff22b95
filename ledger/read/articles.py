"""Articles as readers see them: the summary row, its topics, and the whole view.

Row-to-value conversion is shared with time travel (``ledger.read.time_travel``), which
folds the same rows in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.domain.citation import citation_line
from ledger.domain.scores import DisciplineScore, ScorePolicy
from ledger.projections.tables import ViewTables, live_views
from ledger.read.batches import Row, rows_by_article, wanted
from ledger.read.comments import (
    RaterComment,
    SubscriberComment,
    load_rater_comments,
    load_subscriber_comments,
    rater_comments_of,
    subscriber_comments_of,
)
from ledger.read.scores import load_scores, scores_of

__all__ = [
    "ArticleSummary",
    "ArticleView",
    "Citation",
    "article_views",
    "load_articles",
    "load_topics",
    "summary_columns",
    "summary_of",
    "view_of",
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
class ArticleSummary:
    """The article row itself: everything but its lists."""

    article_id: str
    citation: Citation
    study_type: str
    abstract: str
    retracted: bool
    version: int
    registered_position: int
    registered_at: datetime


@dataclass(frozen=True)
class ArticleView:
    summary: ArticleSummary
    topics: tuple[str, ...]
    discipline_scores: tuple[DisciplineScore, ...]
    rater_comments: tuple[RaterComment, ...]
    subscriber_comments: tuple[SubscriberComment, ...]

    @property
    def article_id(self) -> str:
        return self.summary.article_id

    @property
    def citation(self) -> Citation:
        return self.summary.citation

    @property
    def study_type(self) -> str:
        return self.summary.study_type

    @property
    def abstract(self) -> str:
        return self.summary.abstract

    @property
    def retracted(self) -> bool:
        return self.summary.retracted

    @property
    def version(self) -> int:
        return self.summary.version


def summary_of(row: Row) -> ArticleSummary:
    return ArticleSummary(
        article_id=row["article_id"],
        citation=Citation(
            title=row["title"],
            authors=tuple(orjson.loads(row["authors"])),
            journal=row["journal"],
            journal_abbreviation=row["journal_abbreviation"],
            published_on=row["published_on"],
            volume=row["volume"],
            issue=row["issue"],
            pages=row["pages"],
            doi=row["doi"],
            pmid=row["pmid"],
            publication_note=row["publication_note"],
        ),
        study_type=row["study_type"],
        abstract=row["abstract"],
        retracted=bool(row["retracted"]),
        version=row["version"],
        registered_position=row["registered_position"],
        registered_at=row["registered_at"],
    )


def view_of(
    article: Row,
    topic_names: Sequence[str],
    score_rows: Iterable[Row],
    rating_rows: Iterable[Row],
    comment_rows: Iterable[Row],
    policy: ScorePolicy,
    *,
    include_hidden: bool = False,
) -> ArticleView:
    return ArticleView(
        summary=summary_of(article),
        topics=tuple(topic_names),
        discipline_scores=scores_of(score_rows, policy),
        rater_comments=rater_comments_of(rating_rows),
        subscriber_comments=subscriber_comments_of(comment_rows, include_hidden=include_hidden),
    )


def summary_columns(articles: Any) -> list[Any]:
    """The article view's columns a summary shows: all but the search's words."""
    return [column for column in articles.c if column.name != "search_text"]


async def load_articles(
    conn: AsyncConnection, ids: Sequence[str], *, views: ViewTables = live_views
) -> dict[str, ArticleSummary]:
    table = views.article_views
    query = select(*summary_columns(table)).where(table.c.article_id.in_(wanted(ids)))
    return {row["article_id"]: summary_of(row) for row in (await conn.execute(query)).mappings()}


async def load_topics(
    conn: AsyncConnection, ids: Sequence[str], *, views: ViewTables = live_views
) -> dict[str, tuple[str, ...]]:
    table = views.article_topics
    query = (
        select(table)
        .where(table.c.article_id.in_(wanted(ids)))
        .order_by(table.c.article_id, table.c.ordinal)
    )
    grouped = await rows_by_article(conn, query, ids)
    return {article_id: tuple(r["topic"] for r in rows) for article_id, rows in grouped.items()}


async def article_views(
    conn: AsyncConnection,
    ids: Sequence[str],
    policy: ScorePolicy,
    *,
    include_hidden: bool = False,
    views: ViewTables = live_views,
) -> dict[str, ArticleView]:
    """Whole views of these articles (absent ids are left out), in five statements."""
    summaries = await load_articles(conn, ids, views=views)
    found = sorted(summaries)
    if not found:
        return {}
    topic_names = await load_topics(conn, found, views=views)
    scores = await load_scores(conn, found, policy, views=views)
    rater_comments = await load_rater_comments(conn, found, views=views)
    comments = await load_subscriber_comments(
        conn, found, include_hidden=include_hidden, views=views
    )
    return {
        article_id: ArticleView(
            summaries[article_id],
            topic_names[article_id],
            scores[article_id],
            rater_comments[article_id],
            comments[article_id],
        )
        for article_id in found
    }
