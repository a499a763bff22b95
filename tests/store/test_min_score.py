"""The article list's ``minScore`` filter, in each backend's SQL, lists an article exactly
when a discipline score it displays is that score or more: over every mean of up to
``MAX_RATINGS`` ratings (every relevance sum and rating count a rating form allows)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.domain.scores import OUT_OF, ScorePolicy
from ledger.projections.tables import live_views
from ledger.read.scores import load_scores, score_at_least

POLICY = ScorePolicy()  # a score shows from 3 ratings: the pending ones are in the test too
MAX_RATINGS = 100
# Each rating's relevance is 1..7, so ``count`` ratings sum to ``count``..``7 * count``.
MEANS = [
    (total, count)
    for count in range(1, MAX_RATINGS + 1)
    for total in range(count, OUT_OF * count + 1)
]


def _article(total: int, count: int) -> str:
    return f"{total}-{count}"


async def test_the_min_score_filter_lists_exactly_the_scores_shown_at_or_above_it(
    engine: AsyncEngine,
) -> None:
    scores = live_views.discipline_scores
    async with engine.begin() as conn:
        await conn.execute(
            scores.insert(),
            [
                {
                    "article_id": _article(total, count),
                    "discipline": "Physician",
                    "relevance_sum": total,
                    # Half the ratings without a newsworthiness: the filter and the shown
                    # score go by the relevance mean alone.
                    "newsworthiness_sum": count // 2,
                    "rating_count": count,
                    "newsworthiness_count": count // 2,
                }
                for total, count in MEANS
            ],
        )
    async with engine.connect() as conn:
        shown = await load_scores(conn, [_article(t, c) for t, c in MEANS], POLICY)
        for minimum in range(1, OUT_OF + 1):
            listed = set(
                (
                    await conn.scalars(
                        select(scores.c.article_id).where(score_at_least(scores, minimum, POLICY))
                    )
                ).all()
            )
            displayed = {
                article_id
                for article_id, (score,) in shown.items()
                if score.score is not None and score.score >= minimum
            }
            assert listed == displayed, f"minScore {minimum}"
