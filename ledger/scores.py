"""The discipline area score and the inclusion threshold, from sums and counts (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

__all__ = [
    "OUT_OF",
    "DisciplineScore",
    "ScorePolicy",
    "counted",
    "score_of",
]

OUT_OF = 7


@dataclass(frozen=True)
class ScorePolicy:
    """Per-deployment settings: when a score shows, and when an article meets the threshold."""

    min_ratings_for_score: int = 3
    relevance_threshold: Fraction = Fraction(4)
    newsworthiness_threshold: Fraction = Fraction(4)
    min_ratings_for_threshold: int = 3


@dataclass(frozen=True)
class DisciplineScore:
    discipline: str
    rating_count: int
    relevance: Fraction  # mean, unrounded
    newsworthiness: Fraction  # mean, unrounded
    score: int | None  # mean relevance rounded half up; None while pending
    meets_threshold: bool
    out_of: int = OUT_OF


def round_half_up(value: Fraction) -> int:
    """5.5 -> 6, 6.33 -> 6, 4.49 -> 4: exact, never banker's rounding or float error."""
    return int((value * 2 + 1) // 2)


def score_of(
    discipline: str,
    relevance_sum: int,
    newsworthiness_sum: int,
    rating_count: int,
    policy: ScorePolicy,
) -> DisciplineScore:
    if rating_count <= 0:
        raise ValueError("a discipline score needs at least one active rating")
    relevance = Fraction(relevance_sum, rating_count)
    newsworthiness = Fraction(newsworthiness_sum, rating_count)
    shown = rating_count >= policy.min_ratings_for_score
    meets = (
        rating_count >= policy.min_ratings_for_threshold
        and relevance >= policy.relevance_threshold
        and newsworthiness >= policy.newsworthiness_threshold
    )
    return DisciplineScore(
        discipline=discipline,
        rating_count=rating_count,
        relevance=relevance,
        newsworthiness=newsworthiness,
        score=round_half_up(relevance) if shown else None,
        meets_threshold=meets,
    )


def counted(score: DisciplineScore, *, retracted: bool) -> DisciplineScore:
    """The score as it counts: a retracted article's scores stay shown, but no longer count
    as meeting the threshold (an alert or a list of included articles must not carry it)."""
    return replace(score, meets_threshold=False) if retracted else score
