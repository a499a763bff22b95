"""The discipline area score and the inclusion threshold, from sums and counts (no I/O)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction

__all__ = [
    "OUT_OF",
    "RATING_SCALES",
    "DisciplineScore",
    "RatingScale",
    "ScaleLabel",
    "ScorePolicy",
    "counted",
    "lowest_mean_for",
    "round_half_up",
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

    def shows_score(self, rating_count: int) -> bool:
        """Whether a discipline's score shows with this many active ratings (else pending)."""
        return rating_count >= self.min_ratings_for_score


@dataclass(frozen=True)
class DisciplineScore:
    discipline: str
    rating_count: int
    relevance: Fraction  # mean, unrounded
    newsworthiness: Fraction  # mean, unrounded
    score: int | None  # mean relevance rounded half up; None while pending
    meets_threshold: bool
    out_of: int = OUT_OF
    missing_ratings: int = 0  # active ratings still needed before ``score`` shows


# The rounding rule, once: a mean relevance is shown rounded half up (4.5 shows as 5). Both
# the displayed score and the article list's ``minScore`` filter (``ledger.read.scores``,
# in SQL) are derived from this one offset, so a list never disagrees with what it shows.
_ROUNDING_OFFSET = Fraction(1, 2)


def round_half_up(value: Fraction) -> int:
    """5.5 -> 6, 6.33 -> 6, 4.49 -> 4: exact, never banker's rounding or float error."""
    return math.floor(value + _ROUNDING_OFFSET)


def lowest_mean_for(score: int) -> Fraction:
    """The least mean that is shown as ``score`` or more: a mean ``m`` shows at least
    ``score`` exactly when ``m >= lowest_mean_for(score)`` (e.g. 4.5 for 5)."""
    return score - _ROUNDING_OFFSET


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
    shown = policy.shows_score(rating_count)
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
        missing_ratings=max(0, policy.min_ratings_for_score - rating_count),
    )


def counted(score: DisciplineScore, *, retracted: bool) -> DisciplineScore:
    """The score as it counts: a retracted article's scores stay shown, but no longer count
    as meeting the threshold (an alert or a list of included articles must not carry it)."""
    return replace(score, meets_threshold=False) if retracted else score


# -- the rating form ----------------------------------------------------------------------


@dataclass(frozen=True)
class ScaleLabel:
    value: int
    label: str


@dataclass(frozen=True)
class RatingScale:
    """One of the two 7-point scales of the rating form, labels from 7 down to 1."""

    name: str
    question: str
    labels: tuple[ScaleLabel, ...]


def _scale(name: str, question: str, labels: tuple[str, ...]) -> RatingScale:
    assert len(labels) == OUT_OF, "each scale labels every point from 7 down to 1"
    return RatingScale(
        name, question, tuple(ScaleLabel(OUT_OF - n, text) for n, text in enumerate(labels))
    )


_USEFUL = "Useful information, most practitioners in my discipline"

# The reference service's own wording (McMaster PLUS rating form), kept here once as data so
# that a front-end draws the form from the API instead of copying it.
RATING_SCALES = (
    _scale(
        "relevance",
        "Relevance to clinical practice in your discipline",
        (
            "Directly and highly relevant",
            "Definitely relevant",
            "Probably relevant",
            "Possibly relevant - likely of indirect or peripheral relevance at best",
            "Possibly not relevant",
            "Probably not relevant: content only remotely related",
            "Definitely not relevant: completely unrelated content area",
        ),
    ),
    _scale(
        "newsworthiness",
        "Newsworthiness to clinical practice in your discipline",
        (
            f"{_USEFUL} definitely don't know this (unless they have read this article)",
            f"{_USEFUL} probably don't know this",
            f"{_USEFUL} possibly don't know this",
            f"{_USEFUL} possibly already know this",
            f"{_USEFUL} probably already know this",
            "It probably doesn't matter whether they know this or not",
            "Not of direct clinical interest",
        ),
    ),
)
