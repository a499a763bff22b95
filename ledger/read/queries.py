"""The read side: plain dataclasses from the projections, in batch forms for loaders.

Each ``load_*`` function answers for many articles in one statement, so an API page of 5
or of 50 articles costs the same number of round trips. Row-to-value conversion is shared
with time travel (``ledger.read.time_travel``), which folds the same rows in memory.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.domain import search_text
from ledger.domain.citation import citation_line
from ledger.domain.raters import discipline_key
from ledger.domain.scores import DisciplineScore, ScorePolicy, score_of
from ledger.projections.tables import ViewTables, live_views
from ledger.read import search

__all__ = [
    "ArticleFilter",
    "ArticleHit",
    "ArticleSummary",
    "ArticleView",
    "Citation",
    "PagePlace",
    "RaterComment",
    "RatingHistory",
    "RatingVersion",
    "SubscriberComment",
    "article_count",
    "article_page",
    "article_views",
    "count_statement",
    "discipline_named",
    "disciplines",
    "load_articles",
    "load_rater_comments",
    "load_related",
    "load_scores",
    "load_subscriber_comments",
    "load_topics",
    "rater_ratings",
    "related_articles",
    "topics",
    "view_of",
]

Row = Mapping[Any, Any]


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


# -- rows to values (shared with time travel) ---------------------------------------------


def summary_of(row: Row) -> ArticleSummary:
    return ArticleSummary(
        article_id=row["article_id"],
        citation=Citation(
            title=row["title"],
            authors=tuple(json.loads(row["authors"])),
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


def scores_of(rows: Iterable[Row], policy: ScorePolicy) -> tuple[DisciplineScore, ...]:
    ordered = sorted(rows, key=lambda row: row["discipline"])
    return tuple(
        score_of(
            r["discipline"], r["relevance_sum"], r["newsworthiness_sum"], r["rating_count"], policy
        )
        for r in ordered
    )


def rater_comments_of(rows: Iterable[Row]) -> tuple[RaterComment, ...]:
    ordered = sorted(rows, key=lambda row: row["submitted_position"])
    return tuple(
        RaterComment(r["discipline"], r["comment"], r["rated_at"], r["rater_id"])
        for r in ordered
        if r["comment"] is not None
    )


def subscriber_comments_of(
    rows: Iterable[Row], *, include_hidden: bool
) -> tuple[SubscriberComment, ...]:
    ordered = sorted(rows, key=lambda row: row["posted_position"])
    return tuple(
        SubscriberComment(r["comment_id"], r["author_id"], r["body"], r["posted_at"], r["hidden"])
        for r in ordered
        if include_hidden or not r["hidden"]
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


# -- batch loads: one statement each --------------------------------------------------------


async def _rows_by_article(
    conn: AsyncConnection, query: Any, ids: Sequence[str]
) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = {article_id: [] for article_id in ids}
    for row in (await conn.execute(query)).mappings():
        grouped[row["article_id"]].append(row)
    return grouped


async def load_articles(
    conn: AsyncConnection, ids: Sequence[str], *, views: ViewTables = live_views
) -> dict[str, ArticleSummary]:
    table = views.article_views
    query = select(*_summary_columns(table)).where(table.c.article_id.in_(sorted(set(ids))))
    return {row["article_id"]: summary_of(row) for row in (await conn.execute(query)).mappings()}


def _summary_columns(articles: Any) -> list[Any]:
    """The article view's columns a summary shows: all but the search's words."""
    return [column for column in articles.c if column.name != "search_text"]


async def load_topics(
    conn: AsyncConnection, ids: Sequence[str], *, views: ViewTables = live_views
) -> dict[str, tuple[str, ...]]:
    table = views.article_topics
    query = (
        select(table)
        .where(table.c.article_id.in_(sorted(set(ids))))
        .order_by(table.c.article_id, table.c.ordinal)
    )
    grouped = await _rows_by_article(conn, query, ids)
    return {article_id: tuple(r["topic"] for r in rows) for article_id, rows in grouped.items()}


async def load_scores(
    conn: AsyncConnection,
    ids: Sequence[str],
    policy: ScorePolicy,
    *,
    views: ViewTables = live_views,
) -> dict[str, tuple[DisciplineScore, ...]]:
    table = views.discipline_scores
    query = select(table).where(table.c.article_id.in_(sorted(set(ids))))
    grouped = await _rows_by_article(conn, query, ids)
    return {article_id: scores_of(rows, policy) for article_id, rows in grouped.items()}


async def load_rater_comments(
    conn: AsyncConnection, ids: Sequence[str], *, views: ViewTables = live_views
) -> dict[str, tuple[RaterComment, ...]]:
    table = views.active_ratings
    query = select(table).where(
        table.c.article_id.in_(sorted(set(ids))), table.c.comment.is_not(None)
    )
    grouped = await _rows_by_article(conn, query, ids)
    return {article_id: rater_comments_of(rows) for article_id, rows in grouped.items()}


async def load_subscriber_comments(
    conn: AsyncConnection,
    ids: Sequence[str],
    *,
    include_hidden: bool = False,
    views: ViewTables = live_views,
) -> dict[str, tuple[SubscriberComment, ...]]:
    table = views.subscriber_comments
    query = select(table).where(table.c.article_id.in_(sorted(set(ids))))
    if not include_hidden:
        query = query.where(table.c.hidden.is_(False))
    grouped = await _rows_by_article(conn, query, ids)
    return {
        article_id: subscriber_comments_of(rows, include_hidden=include_hidden)
        for article_id, rows in grouped.items()
    }


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


async def load_related(
    conn: AsyncConnection, ids: Sequence[str], first: int, *, views: ViewTables = live_views
) -> dict[str, list[str]]:
    """For each article, the ids of up to ``first`` articles sharing its topics, retracted
    ones left out: most shared topics first, then newest. One statement for all of them (a
    window function)."""
    mine = views.article_topics.alias("mine")
    theirs = views.article_topics.alias("theirs")
    articles = views.article_views
    shared = (
        select(
            mine.c.article_id.label("article_id"),
            theirs.c.article_id.label("related_id"),
            func.count().label("shared"),
        )
        .join(theirs, theirs.c.topic == mine.c.topic)
        .where(mine.c.article_id.in_(sorted(set(ids))), theirs.c.article_id != mine.c.article_id)
        .group_by(mine.c.article_id, theirs.c.article_id)
        .subquery()
    )
    rank = (
        func.row_number()
        .over(
            partition_by=shared.c.article_id,
            order_by=(
                shared.c.shared.desc(),
                articles.c.published_on.desc().nulls_last(),
                articles.c.registered_position.desc(),
            ),
        )
        .label("rank")
    )
    ranked = (
        select(shared.c.article_id, shared.c.related_id, rank)
        .join(articles, articles.c.article_id == shared.c.related_id)
        # A retracted article is no reading to suggest (the list leaves it out likewise).
        .where(articles.c.retracted.is_(False))
        .subquery()
    )
    query = (
        select(ranked.c.article_id, ranked.c.related_id)
        .where(ranked.c.rank <= first)
        .order_by(ranked.c.article_id, ranked.c.rank)
    )
    related: dict[str, list[str]] = defaultdict(list)
    for row in await conn.execute(query):
        related[row.article_id].append(row.related_id)
    return {article_id: related.get(article_id, []) for article_id in ids}


@dataclass(frozen=True)
class RatingVersion:
    position: int
    kind: str  # submitted, revised or withdrawn
    relevance: int | None
    newsworthiness: int | None
    comment: str | None
    recorded_at: datetime


@dataclass(frozen=True)
class RatingHistory:
    """One rating of one article by one rater: every version, the newest last."""

    rating_id: str
    article_id: str
    versions: tuple[RatingVersion, ...]

    @property
    def current(self) -> RatingVersion:
        return self.versions[-1]


async def rater_ratings(
    conn: AsyncConnection, rater_id: str, *, views: ViewTables = live_views
) -> list[RatingHistory]:
    """A rater's ratings, newest first, each with all its versions (one statement)."""
    table = views.rating_versions
    query = select(table).where(table.c.rater_id == rater_id).order_by(table.c.position)
    grouped: dict[str, list[Row]] = {}
    for row in (await conn.execute(query)).mappings():
        grouped.setdefault(row["rating_id"], []).append(row)
    histories = [
        RatingHistory(
            rating_id=rating_id,
            article_id=rows[0]["article_id"],
            versions=tuple(
                RatingVersion(
                    r["position"],
                    r["kind"],
                    r["relevance"],
                    r["newsworthiness"],
                    r["comment"],
                    r["recorded_at"],
                )
                for r in rows
            ),
        )
        for rating_id, rows in grouped.items()
    ]
    return sorted(histories, key=lambda h: h.current.position, reverse=True)


async def related_articles(
    conn: AsyncConnection, article_id: str, first: int, *, views: ViewTables = live_views
) -> list[str]:
    return (await load_related(conn, [article_id], first, views=views))[article_id]


@dataclass(frozen=True)
class ArticleFilter:
    topic: str | None = None
    discipline: str | None = None
    min_score: int | None = None
    study_type: str | None = None
    search: str | None = None
    include_retracted: bool = False

    @property
    def searching(self) -> bool:
        """Whether the list is a search, ranked by relevance (a blank ``search`` is none)."""
        return self.search is not None and self.search.strip() != ""


@dataclass(frozen=True)
class PagePlace:
    """Where a page of articles resumes: after the article registered at ``position``, which
    had search rank ``rank`` (in a search; None otherwise)."""

    position: int
    rank: int | None = None


@dataclass(frozen=True)
class ArticleHit:
    """An article of a list page, with its search rank key (None when not searching)."""

    summary: ArticleSummary
    rank: int | None = None

    @property
    def place(self) -> PagePlace:
        return PagePlace(self.summary.registered_position, self.rank)


async def article_page(
    conn: AsyncConnection,
    first: int,
    policy: ScorePolicy,
    *,
    after: PagePlace | None = None,
    where: ArticleFilter = ArticleFilter(),
    views: ViewTables = live_views,
) -> tuple[list[ArticleHit], bool]:
    """A page of the articles ``where`` selects, keyset-paginated (no OFFSET): newest
    registered first; or, in a search, best hit first, then newest.

    Returns up to ``first`` articles after ``after``, and whether more follow. Retracted
    articles are left out unless ``where.include_retracted``. ``min_score`` counts only shown
    scores (enough ratings), in ``discipline`` if given, else in any discipline. One
    statement.
    """
    articles = views.article_views
    query = _selected(select(*_summary_columns(articles)), where, policy, views)
    if query is None:
        return [], False
    hits = _hits(conn.dialect.name, where, articles)
    position = articles.c.registered_position
    if hits is None:
        if after is not None:
            query = query.where(position < after.position)
        query = query.order_by(position.desc())
    else:
        rank = hits.c.rank_key
        query = query.add_columns(rank).join(hits, hits.c.position == position)
        if after is not None:
            assert after.rank is not None, "a search resumes at a rank"
            query = query.where(
                (rank < after.rank) | ((rank == after.rank) & (position < after.position))
            )
        query = query.order_by(rank.desc(), position.desc())
    rows = (await conn.execute(query.limit(first + 1))).mappings().all()
    found = [
        ArticleHit(summary_of(row), row["rank_key"] if hits is not None else None)
        for row in rows[:first]
    ]
    return found, len(rows) > first


async def article_count(
    conn: AsyncConnection,
    policy: ScorePolicy,
    *,
    where: ArticleFilter = ArticleFilter(),
    views: ViewTables = live_views,
) -> int:
    """How many articles ``where`` selects (every page of them). One statement, over the
    indexes the filters have."""
    query = count_statement(conn.dialect.name, policy, where=where, views=views)
    return 0 if query is None else int(await conn.scalar(query) or 0)


def count_statement(
    dialect: str,
    policy: ScorePolicy,
    *,
    where: ArticleFilter = ArticleFilter(),
    views: ViewTables = live_views,
) -> Any:
    """The statement counting what ``where`` selects on ``dialect``; None when nothing can
    match."""
    articles = views.article_views
    query = _selected(select(func.count()).select_from(articles), where, policy, views)
    if query is None:
        return None
    hits = _hits(dialect, where, articles)
    if hits is not None:
        query = query.join(hits, hits.c.position == articles.c.registered_position)
    return query


async def discipline_named(
    conn: AsyncConnection, name: str, *, views: ViewTables = live_views
) -> str | None:
    """The registered discipline ``name`` means, as it is registered ("nurse": "Nurse"), or
    None when no discipline has that name."""
    table = views.disciplines
    return await conn.scalar(
        select(table.c.name).where(table.c.discipline_key == discipline_key(name))
    )


def _hits(dialect: str, where: ArticleFilter, articles: Any) -> Any:
    if not where.searching:
        return None
    assert where.search is not None
    return search.ranked_hits(dialect, where.search, articles)


def _selected(query: Any, where: ArticleFilter, policy: ScorePolicy, views: ViewTables) -> Any:
    """``query`` over the article view narrowed to what ``where`` selects, the search's
    words aside (see ``_hits``); None when nothing can match (a search without a word to
    find)."""
    articles = views.article_views
    if where.search is not None and where.searching and not search_text.can_find(where.search):
        return None
    if not where.include_retracted:
        query = query.where(articles.c.retracted.is_(False))
    if where.study_type is not None:
        # As the vocabulary spells it (the caller resolves a spelling to it).
        query = query.where(articles.c.study_type == where.study_type)
    if where.topic is not None:
        topics_ = views.article_topics
        query = query.where(
            select(topics_.c.article_id)
            .where(
                topics_.c.article_id == articles.c.article_id,
                topics_.c.topic_key == search_text.fold(where.topic),
            )
            .exists()
        )
    if where.discipline is not None or where.min_score is not None:
        scores = views.discipline_scores
        condition = scores.c.article_id == articles.c.article_id
        if where.discipline is not None:
            condition &= scores.c.discipline == where.discipline
        if where.min_score is not None:
            # round_half_up(sum / count) >= m  <=>  2 * sum + count >= 2 * m * count
            condition &= scores.c.rating_count >= policy.min_ratings_for_score
            condition &= (
                2 * scores.c.relevance_sum + scores.c.rating_count
                >= 2 * where.min_score * scores.c.rating_count
            )
        query = query.where(select(scores.c.article_id).where(condition).exists())
    return query


async def topics(conn: AsyncConnection, *, views: ViewTables = live_views) -> list[tuple[str, int]]:
    """Every topic with the number of articles that carry it, by name: counted by the folded
    topic, as the list's topic filter and an article's topics count them, and retracted
    articles aside, as the article list leaves them out."""
    table = views.article_topics
    articles = views.article_views
    spelled = select(table.c.topic, table.c.topic_key).distinct().subquery()
    carrying = table.alias()
    query = (
        select(spelled.c.topic, func.count(carrying.c.article_id.distinct()).label("articles"))
        .join_from(spelled, carrying, carrying.c.topic_key == spelled.c.topic_key)
        .join(articles, articles.c.article_id == carrying.c.article_id)
        .where(articles.c.retracted.is_(False))
        .group_by(spelled.c.topic)
        .order_by(spelled.c.topic)
    )
    return [(row.topic, row.articles) for row in await conn.execute(query)]


async def disciplines(conn: AsyncConnection, *, views: ViewTables = live_views) -> list[str]:
    table = views.disciplines
    return list(
        (await conn.scalars(select(table.c.name).order_by(table.c.registered_position))).all()
    )
