"""Stored payloads back to domain events: the quick way gives what the constructor gives."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import pytest

from ledger.domain.events import (
    ArticleTopicsChanged,
    CommentPosted,
    DomainEvent,
    RatingSubmitted,
)

RATING = {
    "article_id": "a1",
    "rating_id": "a1.r1",
    "rater_id": "p1",
    "discipline": "Physician",
    "relevance": 6,
    "newsworthiness": 5,
    "comment": None,
    "newsworthiness_unknown": False,
    "beyond_expertise": False,
}
COMMENT = {"comment_id": "c1", "article_id": "a1", "author_id": "s1", "body": "Useful."}


@pytest.mark.parametrize(
    ("cls", "payload"),
    [(RatingSubmitted, RATING), (CommentPosted, COMMENT)],
    ids=["rating", "comment"],
)
def test_a_payload_of_exactly_its_fields_becomes_the_event_its_constructor_makes(
    cls: type[DomainEvent], payload: dict[str, object]
) -> None:
    event = cls.from_payload(payload)
    made = cls(**payload)
    assert event == made
    assert hash(event) == hash(made)
    assert event.to_payload() == payload
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.article_id = "a2"  # type: ignore[misc]
    payload_copy = dict(payload)
    event_again = cls.from_payload(payload_copy)
    payload_copy["article_id"] = "changed afterwards"
    assert event_again == made, "the event must not share the payload's dict"


def test_lists_are_frozen_and_unknown_keys_left_out() -> None:
    event = ArticleTopicsChanged.from_payload(
        {"article_id": "a1", "topics": ["Back Pain"], "later_field": 1}
    )
    assert event == ArticleTopicsChanged(article_id="a1", topics=("Back Pain",))


@dataclass(frozen=True)
class _Checked(DomainEvent):
    type_name: ClassVar[str] = "Checked"
    score: int

    def __post_init__(self) -> None:
        if not 1 <= self.score <= 7:
            raise ValueError("score out of range")


def test_an_event_with_its_own_checks_is_built_by_its_constructor() -> None:
    assert _Checked.from_payload({"score": 3}) == _Checked(score=3)
    with pytest.raises(ValueError, match="out of range"):
        _Checked.from_payload({"score": 9})
