"""Discipline area scores as shown, and the article list's ``minScore`` filter in SQL.

Both read the one rounding rule of ``ledger.domain.scores``: the display rounds the mean
half up (``round_half_up``), the filter compares the sums with the least mean that shows as
the wanted score (``lowest_mean_for``), so an article is listed under ``minScore: m`` exactly
when one of its shown scores is ``m`` or more.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.domain.scores import DisciplineScore, ScorePolicy, lowest_mean_for, score_of
from ledger.projections.tables import ViewTables, live_views
from ledger.read.batches import Row, rows_by_article, wanted

__all__ = ["load_scores", "score_at_least", "scores_of", "shown"]


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
    """Each article's scores, in the disciplines it was assigned when it has any (an
    article never assigned any shows every discipline rated, as before), in one statement."""
    table, assigned = views.discipline_scores, views.article_disciplines
    query = (
        select(table, assigned.c.disciplines.label("assigned"))
        .outerjoin(assigned, assigned.c.article_id == table.c.article_id)
        .where(table.c.article_id.in_(wanted(ids)))
    )
    grouped = await rows_by_article(conn, query, ids)
    return {article_id: scores_of(shown(rows), policy) for article_id, rows in grouped.items()}


def shown(rows: Sequence[Row]) -> list[Row]:
    """Of an article's score rows (each with its ``assigned`` disciplines, a JSON list or
    None), those in an assigned discipline; all of them when none was assigned."""
    assigned = rows[0]["assigned"] if rows else None
    if assigned is None:
        return list(rows)
    disciplines = set(json.loads(assigned))
    return [row for row in rows if row["discipline"] in disciplines]


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
