"""Ratings on the article stream: submitted, revised and withdrawn, or refused.

Pure: every state is folded from events with ``articles.fold``; nothing touches a database.
"""

from __future__ import annotations

from typing import Any

import pytest

from ledger.domain import commands, ratings
from ledger.domain.articles import ActiveRating, Rater
from ledger.domain.errors import (
    DuplicateRating,
    NoActiveRating,
    NotFound,
    ValidationFailed,
)
from ledger.domain.events import (
    ArticleTopicsChanged,
    CommentPosted,
    RatingRevised,
    RatingSubmitted,
    RatingWithdrawn,
)
from tests.unit.article_events import (
    ARTICLE_ID,
    NURSE,
    PHYSICIAN,
    registered,
    state,
    submitted,
)

# -- ratings ------------------------------------------------------------------------------


def test_submitting_a_rating_records_it_in_the_raters_discipline() -> None:
    given = state(registered())

    events = ratings.decide_submit_rating(given, ARTICLE_ID, PHYSICIAN, 6, 5, "Interesting.")

    assert events == [submitted(PHYSICIAN, "a1.r2", 6, 5, "Interesting.")]


def test_the_discipline_of_a_rating_comes_from_the_rater_passed_in() -> None:
    given = state(registered())

    [event] = ratings.decide_submit_rating(given, ARTICLE_ID, Rater("r1", "Nurse"), 4, 4, None)

    assert isinstance(event, RatingSubmitted)
    assert event.discipline == "Nurse"


@pytest.mark.parametrize("score", [1, 7])
def test_the_ends_of_the_seven_point_scales_are_accepted(score: int) -> None:
    given = state(registered())

    events = ratings.decide_submit_rating(given, ARTICLE_ID, PHYSICIAN, 7, score, None)

    assert events == [submitted(PHYSICIAN, "a1.r2", 7, score)]


def test_the_lowest_relevance_is_accepted_without_a_newsworthiness() -> None:
    given = state(registered())

    events = ratings.decide_submit_rating(given, ARTICLE_ID, PHYSICIAN, 1, None, None)

    assert events == [submitted(PHYSICIAN, "a1.r2", 1, None)]


BAD_SCORES = [0, 8, -1, 3.5, 5.0, "5", True, False, None]


@pytest.mark.parametrize("score", BAD_SCORES)
def test_a_relevance_outside_whole_numbers_1_to_7_is_refused(score: Any) -> None:
    given = state(registered())

    with pytest.raises(ValidationFailed) as refused:
        ratings.decide_submit_rating(given, ARTICLE_ID, PHYSICIAN, score, 5, None)

    assert refused.value.field == "relevance"


@pytest.mark.parametrize("score", BAD_SCORES)
def test_a_newsworthiness_outside_whole_numbers_1_to_7_is_refused(score: Any) -> None:
    given = state(registered())

    with pytest.raises(ValidationFailed) as refused:
        ratings.decide_submit_rating(given, ARTICLE_ID, PHYSICIAN, 5, score, None)

    assert refused.value.field == "newsworthiness"


@pytest.mark.parametrize("score", BAD_SCORES)
def test_a_revision_with_a_bad_score_is_refused(score: Any) -> None:
    given = state(registered(), submitted(PHYSICIAN, "a1.r2", 6, 5))

    with pytest.raises(ValidationFailed) as refused:
        ratings.decide_revise_rating(given, ARTICLE_ID, PHYSICIAN, 6, score, None)

    assert refused.value.field == "newsworthiness"


def test_a_rating_comment_is_kept_exactly_as_written() -> None:
    given = state(registered())
    comment = "  <b>Low</b> evidence.\n"

    events = ratings.decide_submit_rating(given, ARTICLE_ID, PHYSICIAN, 3, 3, comment)

    assert events == [submitted(PHYSICIAN, "a1.r2", 3, 3, comment)]


@pytest.mark.parametrize("comment", ["", "   ", "x" * 5001, 12])
def test_a_bad_rating_comment_is_refused(comment: Any) -> None:
    given = state(registered())

    with pytest.raises(ValidationFailed) as refused:
        ratings.decide_submit_rating(given, ARTICLE_ID, PHYSICIAN, 3, 3, comment)

    assert refused.value.field == "comment"


def test_a_rater_has_at_most_one_active_rating_per_article() -> None:
    given = state(registered(), submitted(PHYSICIAN, "a1.r2", 6, 5))

    with pytest.raises(DuplicateRating) as refused:
        ratings.decide_submit_rating(given, ARTICLE_ID, PHYSICIAN, 3, 3, None)

    assert refused.value.article_id == ARTICLE_ID
    assert refused.value.rater_id == "r1"


def test_another_rater_may_rate_the_same_article() -> None:
    given = state(registered(), submitted(PHYSICIAN, "a1.r2", 6, 5))

    events = ratings.decide_submit_rating(given, ARTICLE_ID, NURSE, 4, 4, None)

    assert events == [submitted(NURSE, "a1.r3", 4, 4)]


def test_the_same_state_and_command_decide_the_same_rating_id() -> None:
    given = state(registered(), submitted(NURSE, "a1.r2", 4, 4))

    first = ratings.decide_submit_rating(given, ARTICLE_ID, PHYSICIAN, 6, 5, None)
    again = ratings.decide_submit_rating(given, ARTICLE_ID, PHYSICIAN, 6, 5, None)

    assert first == again == [submitted(PHYSICIAN, "a1.r3", 6, 5)]


def test_the_rating_id_follows_the_stream_version() -> None:
    given = state(
        registered(),
        CommentPosted(ARTICLE_ID, "a1.c2", "s1", "First!"),
        ArticleTopicsChanged(ARTICLE_ID, ("Spine",)),
    )

    events = ratings.decide_submit_rating(given, ARTICLE_ID, PHYSICIAN, 6, 5, None)

    assert events == [submitted(PHYSICIAN, "a1.r4", 6, 5)]


def test_the_folded_state_holds_each_raters_active_rating() -> None:
    article = state(
        registered(),
        submitted(PHYSICIAN, "a1.r2", 6, 5, "Interesting."),
        submitted(NURSE, "a1.r3", 4, 3),
    )

    assert article is not None
    assert article.ratings == {
        "r1": ActiveRating("a1.r2", "r1", "Physician", 6, 5, "Interesting."),
        "r2": ActiveRating("a1.r3", "r2", "Nurse", 4, 3, None),
    }


def test_revising_a_rating_keeps_its_id_and_records_the_new_values() -> None:
    given = state(registered(), submitted(PHYSICIAN, "a1.r2", 6, 5, "Interesting."))

    events = ratings.decide_revise_rating(given, ARTICLE_ID, PHYSICIAN, 5, 5, "On reflection.")

    assert events == [RatingRevised(ARTICLE_ID, "a1.r2", "r1", "Physician", 5, 5, "On reflection.")]
    article = state(registered(), submitted(PHYSICIAN, "a1.r2", 6, 5, "Interesting."), *events)
    assert article is not None
    assert article.ratings["r1"] == ActiveRating("a1.r2", "r1", "Physician", 5, 5, "On reflection.")


def test_a_revision_may_change_only_the_comment() -> None:
    given = state(registered(), submitted(PHYSICIAN, "a1.r2", 6, 5, "Interesting."))

    events = ratings.decide_revise_rating(given, ARTICLE_ID, PHYSICIAN, 6, 5, None)

    assert events == [RatingRevised(ARTICLE_ID, "a1.r2", "r1", "Physician", 6, 5, None)]


def test_a_revision_that_leaves_the_comment_out_keeps_the_comment() -> None:
    given = state(registered(), submitted(PHYSICIAN, "a1.r2", 6, 5, "Interesting."))

    events = ratings.decide_revise_rating(given, ARTICLE_ID, PHYSICIAN, 4, 5, commands.UNCHANGED)

    assert events == [RatingRevised(ARTICLE_ID, "a1.r2", "r1", "Physician", 4, 5, "Interesting.")]


def test_a_revision_that_leaves_everything_as_it_is_is_refused() -> None:
    given = state(registered(), submitted(PHYSICIAN, "a1.r2", 6, 5, "Interesting."))

    with pytest.raises(ValidationFailed) as refused:
        ratings.decide_revise_rating(given, ARTICLE_ID, PHYSICIAN, 6, 5, commands.UNCHANGED)

    assert refused.value.field == "rating"


def test_a_revision_identical_to_the_active_rating_is_refused() -> None:
    given = state(registered(), submitted(PHYSICIAN, "a1.r2", 6, 5, "Interesting."))

    with pytest.raises(ValidationFailed) as refused:
        ratings.decide_revise_rating(given, ARTICLE_ID, PHYSICIAN, 6, 5, "Interesting.")

    assert refused.value.field == "rating"


def test_a_revision_keeps_the_discipline_the_rating_was_submitted_in() -> None:
    given = state(registered(), submitted(PHYSICIAN, "a1.r2", 6, 5))

    [event] = ratings.decide_revise_rating(given, ARTICLE_ID, Rater("r1", "Nurse"), 5, 5, None)

    assert isinstance(event, RatingRevised)
    assert event.discipline == "Physician"


def test_revising_without_an_active_rating_is_refused() -> None:
    given = state(registered(), submitted(NURSE, "a1.r2", 6, 5))

    with pytest.raises(NoActiveRating) as refused:
        ratings.decide_revise_rating(given, ARTICLE_ID, PHYSICIAN, 5, 5, None)

    assert refused.value.article_id == ARTICLE_ID
    assert refused.value.rater_id == "r1"


def test_withdrawing_a_rating_records_which_rating_went() -> None:
    given = state(registered(), submitted(PHYSICIAN, "a1.r2", 6, 5))

    events = ratings.decide_withdraw_rating(given, ARTICLE_ID, PHYSICIAN)

    assert events == [RatingWithdrawn(ARTICLE_ID, "a1.r2", "r1", "Physician")]
    article = state(registered(), submitted(PHYSICIAN, "a1.r2", 6, 5), *events)
    assert article is not None
    assert article.ratings == {}


def test_withdrawing_without_an_active_rating_is_refused() -> None:
    given = state(registered())

    with pytest.raises(NoActiveRating) as refused:
        ratings.decide_withdraw_rating(given, ARTICLE_ID, PHYSICIAN)

    assert refused.value.rater_id == "r1"


def test_a_withdrawn_rating_can_be_neither_revised_nor_withdrawn_again() -> None:
    given = state(
        registered(),
        submitted(PHYSICIAN, "a1.r2", 6, 5),
        RatingWithdrawn(ARTICLE_ID, "a1.r2", "r1", "Physician"),
    )

    with pytest.raises(NoActiveRating):
        ratings.decide_revise_rating(given, ARTICLE_ID, PHYSICIAN, 5, 5, None)
    with pytest.raises(NoActiveRating):
        ratings.decide_withdraw_rating(given, ARTICLE_ID, PHYSICIAN)


def test_after_withdrawing_a_rater_may_rate_again_under_a_new_rating_id() -> None:
    history = [
        registered(),
        submitted(PHYSICIAN, "a1.r2", 6, 5),
        RatingWithdrawn(ARTICLE_ID, "a1.r2", "r1", "Physician"),
    ]

    events = ratings.decide_submit_rating(state(*history), ARTICLE_ID, PHYSICIAN, 3, 4, None)

    assert events == [submitted(PHYSICIAN, "a1.r4", 3, 4)]
    article = state(*history, *events)
    assert article is not None
    assert article.ratings == {"r1": ActiveRating("a1.r4", "r1", "Physician", 3, 4, None)}


@pytest.mark.parametrize(
    "decide",
    [
        lambda: ratings.decide_submit_rating(None, ARTICLE_ID, PHYSICIAN, 6, 5, None),
        lambda: ratings.decide_revise_rating(None, ARTICLE_ID, PHYSICIAN, 6, 5, None),
        lambda: ratings.decide_withdraw_rating(None, ARTICLE_ID, PHYSICIAN),
    ],
    ids=["submit", "revise", "withdraw"],
)
def test_rating_an_unknown_article_is_refused(decide: Any) -> None:
    with pytest.raises(NotFound) as refused:
        decide()

    assert refused.value.kind == "article"
    assert refused.value.identifier == ARTICLE_ID
