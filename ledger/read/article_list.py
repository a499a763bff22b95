"""The article list: filters, a search's ranking, keyset pages and the whole list's count."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.domain import search_text
from ledger.domain.scores import ScorePolicy
from ledger.projections.tables import ViewTables, live_views
from ledger.read import search
from ledger.read.articles import ArticleSummary, summary_columns, summary_of
from ledger.read.backends import ReadBackend, backend_of
from ledger.read.scores import in_assigned, score_at_least

__all__ = [
    "ArticleFilter",
    "ArticleHit",
    "PagePlace",
    "article_count",
    "article_page",
    "count_query",
]


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
    query = _selected(select(*summary_columns(articles)), where, policy, views)
    if query is None:
        return [], False
    hits = _hits(backend_of(conn), where, articles)
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
    query = count_query(backend_of(conn), policy, where, views)
    return 0 if query is None else int(await conn.scalar(query) or 0)


def count_query(
    backend: ReadBackend, policy: ScorePolicy, where: ArticleFilter, views: ViewTables
) -> Any:
    """The statement counting what ``where`` selects, as ``backend`` asks it; None when
    nothing can match. (Public so that its plan can be checked: it must use the indexes.)"""
    articles = views.article_views
    query = _selected(select(func.count()).select_from(articles), where, policy, views)
    if query is None:
        return None
    hits = _hits(backend, where, articles)
    if hits is not None:
        query = query.join(hits, hits.c.position == articles.c.registered_position)
    return query


def _hits(backend: ReadBackend, where: ArticleFilter, articles: Any) -> Any:
    if not where.searching:
        return None
    assert where.search is not None
    return search.ranked_hits(backend, where.search, articles)


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
        condition = (scores.c.article_id == articles.c.article_id) & in_assigned(scores, views)
        if where.discipline is not None:
            condition &= scores.c.discipline == where.discipline
        if where.min_score is not None:
            condition &= score_at_least(scores, where.min_score, policy)
        query = query.where(select(scores.c.article_id).where(condition).exists())
    return query
