"""The discipline area score and the inclusion threshold, from sums and counts."""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.scores import (
    OUT_OF,
    RATING_SCALES,
    DisciplineScore,
    ScorePolicy,
    counted,
    lowest_mean_for,
    round_half_up,
    score_of,
)

DEFAULT = ScorePolicy()


@pytest.mark.parametrize(
    ("mean", "rounded"),
    [
        (Fraction(11, 2), 6),  # 5.5
        (Fraction(19, 3), 6),  # 6.33...
        (Fraction("4.49"), 4),
        (Fraction(13, 2), 7),  # 6.5
        (Fraction(9, 2), 5),  # 4.5: half up, not to even
        (Fraction(5, 2), 3),  # 2.5: half up, not to even
        (Fraction(1), 1),
        (Fraction(7), 7),
        (Fraction(20, 3), 7),  # 6.67
        (Fraction(3499, 1000), 3),
    ],
)
def test_a_mean_is_rounded_half_up_exactly(mean: Fraction, rounded: int) -> None:
    assert round_half_up(mean) == rounded


def test_the_score_is_the_mean_relevance_rounded_half_up_out_of_7() -> None:
    assert score_of("Physician", 18, 14, 3, DEFAULT) == DisciplineScore(
        discipline="Physician",
        rating_count=3,
        relevance=Fraction(6),
        newsworthiness=Fraction(14, 3),
        score=6,
        meets_threshold=True,
        out_of=7,
        newsworthiness_count=3,
    )
    assert OUT_OF == 7


@pytest.mark.parametrize(
    ("relevance_sum", "count", "score"),
    [(11, 2, None), (19, 3, 6), (22, 4, 6), (26, 4, 7), (33, 6, 6), (39, 6, 7)],
)
def test_the_score_rounds_the_unrounded_mean(
    relevance_sum: int, count: int, score: int | None
) -> None:
    result = score_of("Nurse", relevance_sum, 4 * count, count, DEFAULT)

    assert result.score == score
    assert result.relevance == Fraction(relevance_sum, count)


@pytest.mark.parametrize("count", [1, 2])
def test_the_score_is_pending_below_three_ratings(count: int) -> None:
    result = score_of("Physician", 7 * count, 7 * count, count, DEFAULT)

    assert result.score is None
    assert result.relevance == Fraction(7)
    assert result.rating_count == count


def test_the_score_shows_at_three_ratings() -> None:
    assert score_of("Physician", 18, 14, 3, DEFAULT).score == 6


def test_the_number_of_ratings_before_a_score_shows_is_configurable() -> None:
    policy = ScorePolicy(min_ratings_for_score=5)

    assert score_of("Physician", 24, 24, 4, policy).score is None
    assert score_of("Physician", 30, 30, 5, policy).score == 6
    assert score_of("Physician", 6, 6, 1, ScorePolicy(min_ratings_for_score=1)).score == 6


def test_a_score_needs_at_least_one_rating() -> None:
    with pytest.raises(ValueError, match="at least one"):
        score_of("Physician", 0, 0, 0, DEFAULT)


@pytest.mark.parametrize(
    ("relevance_sum", "newsworthiness_sum", "count", "meets"),
    [
        (12, 12, 3, True),  # both means exactly 4
        (21, 21, 3, True),
        (12, 11, 3, False),  # newsworthiness 3.67
        (11, 12, 3, False),  # relevance 3.67
        (14, 14, 2, False),  # means 7 but only two ratings
        (7, 7, 1, False),
        (16, 16, 4, True),
        (15, 20, 4, False),  # relevance 3.75
    ],
)
def test_meeting_the_threshold_needs_both_means_at_least_4_and_three_ratings(
    relevance_sum: int, newsworthiness_sum: int, count: int, meets: bool
) -> None:
    result = score_of("Physician", relevance_sum, newsworthiness_sum, count, DEFAULT)

    assert result.meets_threshold is meets


def test_the_threshold_compares_the_unrounded_mean_not_the_score() -> None:
    # Mean relevance 3.5 shows as 4 / 7 but is below the threshold of 4.
    result = score_of("Physician", 14, 20, 4, DEFAULT)

    assert result.score == 4
    assert result.meets_threshold is False


def test_the_thresholds_are_configurable() -> None:
    policy = ScorePolicy(
        relevance_threshold=Fraction(5),
        newsworthiness_threshold=Fraction(9, 2),
        min_ratings_for_threshold=4,
    )

    assert score_of("Physician", 20, 18, 4, policy).meets_threshold is True
    assert score_of("Physician", 19, 18, 4, policy).meets_threshold is False
    assert score_of("Physician", 20, 17, 4, policy).meets_threshold is False
    assert score_of("Physician", 15, 15, 3, policy).meets_threshold is False


def test_the_threshold_and_the_score_have_separate_minimum_counts() -> None:
    policy = ScorePolicy(min_ratings_for_score=5, min_ratings_for_threshold=2)

    result = score_of("Physician", 10, 10, 2, policy)

    assert result.score is None
    assert result.meets_threshold is True


def expected_rounded_mean(total: int, count: int) -> int:
    return int((Decimal(total) / Decimal(count)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@given(
    st.lists(
        st.tuples(st.integers(min_value=1, max_value=7), st.integers(min_value=1, max_value=7)),
        min_size=1,
        max_size=50,
    )
)
def test_the_score_is_the_decimal_half_up_mean_of_any_ratings(
    ratings: list[tuple[int, int]],
) -> None:
    relevance_sum = sum(r for r, _ in ratings)
    newsworthiness_sum = sum(n for _, n in ratings)
    count = len(ratings)

    result = score_of("Physician", relevance_sum, newsworthiness_sum, count, DEFAULT)

    assert result.relevance == Fraction(relevance_sum, count)
    assert result.newsworthiness == Fraction(newsworthiness_sum, count)
    assert result.rating_count == count
    if count >= 3:
        assert result.score == expected_rounded_mean(relevance_sum, count)
        assert 1 <= result.score <= OUT_OF
    else:
        assert result.score is None
    assert round_half_up(result.relevance) == expected_rounded_mean(relevance_sum, count)
    assert result.meets_threshold is (
        count >= 3 and relevance_sum >= 4 * count and newsworthiness_sum >= 4 * count
    )


@pytest.mark.parametrize(("count", "missing"), [(1, 2), (2, 1), (3, 0), (9, 0)])
def test_a_score_says_how_many_ratings_are_still_missing_before_it_shows(
    count: int, missing: int
) -> None:
    score = score_of("Nurse", 5 * count, 5 * count, count, DEFAULT)

    assert score.missing_ratings == missing
    assert (score.score is None) == (missing > 0)


def test_a_retracted_articles_score_counts_towards_no_threshold() -> None:
    meeting = score_of("Nurse", 18, 18, 3, DEFAULT)

    assert meeting.meets_threshold is True
    assert counted(meeting, retracted=False) == meeting
    assert counted(meeting, retracted=True) == replace(meeting, meets_threshold=False)


def test_the_rating_scales_carry_the_reference_forms_wording_from_7_down_to_1() -> None:
    relevance, newsworthiness = RATING_SCALES

    assert (relevance.name, newsworthiness.name) == ("relevance", "newsworthiness")
    for scale in RATING_SCALES:
        assert [label.value for label in scale.labels] == [7, 6, 5, 4, 3, 2, 1]
    assert relevance.labels[0].label == "Directly and highly relevant"
    assert relevance.labels[-1].label == (
        "Definitely not relevant: completely unrelated content area"
    )
    useful = "Useful information, most practitioners in my discipline "
    assert [label.label.removeprefix(useful) for label in newsworthiness.labels] == [
        "definitely don't know this (unless they have read this article)",
        "probably don't know this",
        "possibly don't know this",
        "possibly already know this",
        "probably already know this",
        "It probably doesn't matter whether they know this or not",
        "Not of direct clinical interest",
    ]


@pytest.mark.parametrize("count", range(1, 101))
def test_a_mean_reaches_the_lowest_mean_of_a_score_exactly_when_it_is_shown_as_that_or_more(
    count: int,
) -> None:
    """The one rounding rule read both ways, over every mean of up to 100 ratings: what the
    list's ``minScore`` filter compares (``lowest_mean_for``) and what is displayed."""
    for total in range(count, OUT_OF * count + 1):
        mean = Fraction(total, count)
        for minimum in range(1, OUT_OF + 1):
            assert (mean >= lowest_mean_for(minimum)) is (round_half_up(mean) >= minimum)


def test_newsworthiness_is_a_mean_over_those_who_gave_one() -> None:
    # Four ratings with a relevance (6, 6, 7, 5), two of them with a newsworthiness (4, 5).
    score = score_of("Physician", 24, 9, 4, DEFAULT, 2)
    assert (score.rating_count, score.relevance) == (4, Fraction(6))
    assert (score.newsworthiness_count, score.newsworthiness) == (2, Fraction(9, 2))
    assert score.score == 6


def test_without_any_newsworthiness_its_mean_is_none_and_the_threshold_not_met() -> None:
    score = score_of("Physician", 21, 0, 3, DEFAULT, 0)
    assert score.newsworthiness is None
    assert score.score == 7
    assert score.meets_threshold is False


def test_the_threshold_needs_the_minimum_count_on_each_mean() -> None:
    assert score_of("Physician", 20, 15, 4, DEFAULT, 3).meets_threshold is True
    assert score_of("Physician", 20, 10, 4, DEFAULT, 2).meets_threshold is False
    two = ScorePolicy(min_ratings_for_threshold=2)
    assert score_of("Physician", 20, 10, 4, two, 2).meets_threshold is True


def test_more_newsworthiness_than_relevance_ratings_is_refused() -> None:
    with pytest.raises(ValueError, match="only with a relevance"):
        score_of("Physician", 20, 25, 4, DEFAULT, 5)
