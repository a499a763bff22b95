"""Discipline area scores as shown, and the article list's ``minScore`` filter in SQL.

Both read the one rounding rule of ``ledger.domain.scores``: the display rounds the mean
half up (``round_half_up``), the filter compares the sums with the least mean that shows as
the wanted score (``lowest_mean_for``), so an article is listed under ``minScore: m`` exactly
when one of its shown scores is ``m`` or more. And both show a discipline's score only
where the article is rated in that discipline (``in_assigned``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.domain.scores import (
    DisciplineScore,
    ScorePolicy,
    lowest_mean_for,
    rated_in,
    score_of,
)
from ledger.projections.tables import ViewTables, live_views
from ledger.read.batches import Row, rows_by_article, wanted

__all__ = [
    "assigned_only",
    "in_assigned",
    "in_assigned_sql",
    "load_scores",
    "score_at_least",
    "scores_of",
]


def scores_of(rows: Iterable[Row], policy: ScorePolicy) -> tuple[DisciplineScore, ...]:
    ordered = sorted(rows, key=lambda row: row["discipline"])
    return tuple(
        score_of(
            r["discipline"],
            r["relevance_sum"],
            r["newsworthiness_sum"],
            r["rating_count"],
            policy,
            r["newsworthiness_count"],
        )
        for r in ordered
    )


async def load_scores(
    conn: AsyncConnection,
    ids: Sequence[str],
    policy: ScorePolicy,
    *,
    views: ViewTables = live_views,
) -> dict[str, tuple[DisciplineScore, ...]]:
    """Each article's shown scores (``in_assigned``), in one statement."""
    table = views.discipline_scores
    query = select(table).where(table.c.article_id.in_(wanted(ids)), in_assigned(table, views))
    grouped = await rows_by_article(conn, query, ids)
    return {article_id: scores_of(rows, policy) for article_id, rows in grouped.items()}


# ``ledger.domain.scores.rated_in`` in SQL: once as SQLAlchemy builds it and once as text
# for the pages' hand-written statements (``ledger.read.pages``); a test holds the two and
# the rule to the same answers.
def in_assigned(scores: Any, views: ViewTables = live_views) -> ColumnElement[bool]:
    """Over a table of rows by article and discipline (``discipline_scores``, or the
    ``active_ratings`` whose comments show with their discipline's score): the row's
    discipline is one of the article's assigned disciplines, or the article was never
    assigned any (then every discipline rated shows, as before requests existed)."""
    assigned = views.assigned_disciplines
    of_article = assigned.c.article_id == scores.c.article_id
    return or_(
        ~select(assigned.c.article_id).where(of_article).exists(),
        select(assigned.c.article_id)
        .where(of_article, assigned.c.discipline == scores.c.discipline)
        .exists(),
    )


def in_assigned_sql(scores: str) -> str:
    """``in_assigned`` as SQL text over the live tables, ``scores`` naming the row (of
    ``discipline_scores`` or ``active_ratings``)."""
    assigned = live_views.assigned_disciplines.name
    of_article = f"d.article_id = {scores}.article_id"
    return (
        f"(NOT EXISTS (SELECT 1 FROM {assigned} d WHERE {of_article}) OR EXISTS (SELECT 1 "
        f"FROM {assigned} d WHERE {of_article} AND d.discipline = {scores}.discipline))"
    )


def assigned_only(rows: Iterable[Row], assigned: Collection[str] | None) -> list[Row]:
    """``in_assigned`` over rows held in memory (``assigned`` None: never assigned)."""
    return [row for row in rows if rated_in(assigned, row["discipline"])]


def score_at_least(scores: Any, minimum: int, policy: ScorePolicy) -> ColumnElement[bool]:
    """Over a ``discipline_scores`` table: the row's score is shown (enough ratings) and is
    ``minimum`` or more, as ``scores_of`` shows it."""
    lowest = lowest_mean_for(minimum)
    # mean >= lowest  <=>  sum * lowest.denominator >= lowest.numerator * count (count > 0):
    # integers only, exact on every backend.
    return and_(
        scores.c.rating_count >= policy.min_ratings_for_score,
        scores.c.relevance_sum * lowest.denominator >= lowest.numerator * scores.c.rating_count,
    )
