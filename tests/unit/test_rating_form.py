"""The rating form's rules: which answers go together, what each records, and old ratings
read as they were written."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.domain import commands, ratings
from ledger.domain.errors import ValidationFailed
from ledger.domain.events import REGISTRY, RatingRevised, RatingSubmitted
from ledger.domain.ratings import BEYOND_EXPERTISE, DONT_KNOW, NOT_ASKED, newsworthiness_absence
from tests.unit.article_events import ARTICLE_ID, PHYSICIAN, registered, state, submitted


def submit(*answers: Any, **extra: Any) -> RatingSubmitted:
    [event] = ratings.decide_submit_rating(
        state(registered()), ARTICLE_ID, PHYSICIAN, *answers, **extra
    )
    assert isinstance(event, RatingSubmitted)
    return event


def refused_field(*answers: Any, **extra: Any) -> str:
    with pytest.raises(ValidationFailed) as refused:
        submit(*answers, **extra)
    return refused.value.field


@pytest.mark.parametrize("relevance", [1, 2])
def test_newsworthiness_is_not_asked_of_a_relevance_of_1_or_2(relevance: int) -> None:
    assert refused_field(relevance, 4, None) == "newsworthiness"
    assert refused_field(relevance, None, None, newsworthiness_unknown=True) == "newsworthiness"

    event = submit(relevance, None, None)

    assert (event.relevance, event.newsworthiness) == (relevance, None)
    assert not event.newsworthiness_unknown
    assert not event.beyond_expertise
    assert newsworthiness_absence(None, False, False) == NOT_ASKED


@pytest.mark.parametrize("relevance", [3, 7])
def test_above_2_newsworthiness_must_be_answered_a_score_or_dont_know(relevance: int) -> None:
    assert refused_field(relevance, None, None) == "newsworthiness"
    assert refused_field(relevance, 4, None, newsworthiness_unknown=True) == "newsworthiness"

    event = submit(relevance, None, None, newsworthiness_unknown=True)

    assert (event.relevance, event.newsworthiness, event.newsworthiness_unknown) == (
        relevance,
        None,
        True,
    )
    assert newsworthiness_absence(None, True, False) == DONT_KNOW


def test_beyond_expertise_answers_with_neither_scale() -> None:
    assert refused_field(5, None, None, beyond_expertise=True) == "relevance"
    assert refused_field(None, 5, None, beyond_expertise=True) == "newsworthiness"
    assert (
        refused_field(None, None, None, newsworthiness_unknown=True, beyond_expertise=True)
        == "newsworthiness"
    )
    assert refused_field(None, None, None) == "relevance"

    event = submit(None, None, "Not my field.", beyond_expertise=True)

    assert (event.relevance, event.newsworthiness, event.beyond_expertise) == (None, None, True)
    assert event.comment == "Not my field."
    assert newsworthiness_absence(None, False, True) == BEYOND_EXPERTISE


def test_a_comment_of_1000_characters_is_taken_and_of_1001_refused() -> None:
    assert submit(6, 5, "x" * 1000).comment == "x" * 1000
    assert refused_field(6, 5, "x" * 1001) == "comment"


def test_a_longer_comment_written_before_the_limit_is_kept_by_a_revision() -> None:
    old = "y" * 3000
    given = state(registered(), submitted(PHYSICIAN, "a1.r2", 6, 5, old))

    [kept] = ratings.decide_revise_rating(given, ARTICLE_ID, PHYSICIAN, 4, 4, commands.UNCHANGED)
    assert isinstance(kept, RatingRevised)
    assert kept.comment == old
    with pytest.raises(ValidationFailed) as refused:
        ratings.decide_revise_rating(given, ARTICLE_ID, PHYSICIAN, 4, 4, old)
    assert refused.value.field == "comment"


def test_a_revision_may_change_a_rating_into_beyond_expertise_and_back() -> None:
    given = state(registered(), submitted(PHYSICIAN, "a1.r2", 6, 5))

    [beyond] = ratings.decide_revise_rating(
        given, ARTICLE_ID, PHYSICIAN, None, None, None, beyond_expertise=True
    )
    assert isinstance(beyond, RatingRevised)
    assert beyond.beyond_expertise
    again = state(registered(), submitted(PHYSICIAN, "a1.r2", 6, 5), beyond)
    with pytest.raises(ValidationFailed) as same:
        ratings.decide_revise_rating(
            again, ARTICLE_ID, PHYSICIAN, None, None, None, beyond_expertise=True
        )
    assert same.value.field == "rating"


# -- old ratings --------------------------------------------------------------------------

# A rating as version 1 stored it: both scales, no other answer.
V1_RATING = {
    "article_id": "a1",
    "rating_id": "a1.r2",
    "rater_id": "p1",
    "discipline": "Physician",
    "relevance": 6,
    "newsworthiness": 5,
    "comment": "z" * 3000,
}


@pytest.mark.parametrize("name", ["RatingSubmitted", "RatingRevised"])
def test_a_version_1_rating_reads_with_both_scales_and_no_other_answer(name: str) -> None:
    assert REGISTRY.current_version(name) == 2

    payload, version = REGISTRY.upcast(name, 1, dict(V1_RATING))
    event = REGISTRY.decode(name, payload)

    assert version == 2
    assert isinstance(event, RatingSubmitted | RatingRevised)
    assert (event.relevance, event.newsworthiness, event.comment) == (6, 5, "z" * 3000)
    assert not event.newsworthiness_unknown
    assert not event.beyond_expertise
