"""The discipline area score and the inclusion threshold, from sums and counts (no I/O).

The policy over the rating form's answers: the relevance mean is over the ratings with a
relevance (the rating count: an answer "beyond my expertise" counts as no rating), the
newsworthiness mean over those who gave one (its own count: not asked below a relevance of
3, or "don't know"), and the threshold needs the minimum count on each mean."""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, replace
from fractions import Fraction

__all__ = [
    "BEYOND_EXPERTISE_WORDING",
    "DONT_KNOW_WORDING",
    "NEWSWORTHINESS_ASKED_ABOVE",
    "OUT_OF",
    "RATING_SCALES",
    "DisciplineScore",
    "RatingScale",
    "ScaleLabel",
    "ScorePolicy",
    "counted",
    "lowest_mean_for",
    "rated_in",
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
    rating_count: int  # active ratings with a relevance
    relevance: Fraction  # mean, unrounded
    newsworthiness: Fraction | None  # mean over its own count, unrounded; None: nobody gave one
    score: int | None  # mean relevance rounded half up; None while pending
    meets_threshold: bool
    out_of: int = OUT_OF
    missing_ratings: int = 0  # active ratings still needed before ``score`` shows
    newsworthiness_count: int = 0  # of the ratings, those with a newsworthiness


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
    newsworthiness_count: int | None = None,
) -> DisciplineScore:
    """``rating_count`` ratings gave a relevance; ``newsworthiness_count`` of them (None:
    all) gave a newsworthiness."""
    if rating_count <= 0:
        raise ValueError("a discipline score needs at least one active rating")
    news_count = rating_count if newsworthiness_count is None else newsworthiness_count
    if not 0 <= news_count <= rating_count:
        raise ValueError("newsworthiness comes only with a relevance")
    relevance = Fraction(relevance_sum, rating_count)
    newsworthiness = Fraction(newsworthiness_sum, news_count) if news_count else None
    shown = policy.shows_score(rating_count)
    meets = (
        min(rating_count, news_count) >= policy.min_ratings_for_threshold
        and relevance >= policy.relevance_threshold
        and newsworthiness is not None
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
        newsworthiness_count=news_count,
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
    # The form's answer beside the seven points, in its own words.
    other_answer: str
    # Newsworthiness is asked only above this relevance (None: always asked).
    asked_when_relevance_above: int | None = None


def _scale(
    name: str,
    question: str,
    labels: tuple[str, ...],
    other_answer: str,
    asked_when_relevance_above: int | None = None,
) -> RatingScale:
    assert len(labels) == OUT_OF, "each scale labels every point from 7 down to 1"
    points = tuple(ScaleLabel(OUT_OF - n, text) for n, text in enumerate(labels))
    return RatingScale(name, question, points, other_answer, asked_when_relevance_above)


BEYOND_EXPERTISE_WORDING = (
    "Beyond my personal area of expertise but may be of interest to my discipline"
)
DONT_KNOW_WORDING = "I don't know if this is newsworthy"
# Newsworthiness is asked only of a relevance above this (the form's rule).
NEWSWORTHINESS_ASKED_ABOVE = 2


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
        BEYOND_EXPERTISE_WORDING,
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
        DONT_KNOW_WORDING,
        NEWSWORTHINESS_ASKED_ABOVE,
    ),
)


def rated_in(assigned: Collection[str] | None, discipline: str) -> bool:
    """Whether an article assigned ``assigned`` (None or empty: never assigned any) is rated
    in ``discipline``: only then do its ratings there count, its score and raters' comments
    there show, and its raters rate it. The one rule; its SQL form is
    ``ledger.read.scores.in_assigned``."""
    return not assigned or discipline in assigned
