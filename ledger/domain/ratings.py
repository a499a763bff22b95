"""Ratings on the article stream, decided without I/O.

A rater has at most one active rating per article; they may revise or withdraw it, and
every version is kept. The rater's discipline comes with their enrolment (``Rater``).
"""

from __future__ import annotations

from ledger.domain.articles import Article, Rater, check_open, existing
from ledger.domain.commands import UNCHANGED
from ledger.domain.errors import DuplicateRating, NoActiveRating, ValidationFailed
from ledger.domain.events import DomainEvent, RatingRevised, RatingSubmitted, RatingWithdrawn
from ledger.domain.validation import check_comment, check_score

__all__ = ["decide_revise_rating", "decide_submit_rating", "decide_withdraw_rating"]


def decide_submit_rating(
    state: Article | None,
    article_id: str,
    rater: Rater,
    relevance: object,
    newsworthiness: object,
    comment: object,
) -> list[DomainEvent]:
    article = existing(state, article_id)
    scores = _check_rating(relevance, newsworthiness, comment)
    check_open(article)
    if rater.rater_id in article.ratings:
        raise DuplicateRating(article_id, rater.rater_id)
    # Derived from the stream version, so a replayed command decides the very same event.
    rating_id = f"{article_id}.r{article.version + 1}"
    return [RatingSubmitted(article_id, rating_id, rater.rater_id, rater.discipline, *scores)]


def decide_revise_rating(
    state: Article | None,
    article_id: str,
    rater: Rater,
    relevance: object,
    newsworthiness: object,
    comment: object,
) -> list[DomainEvent]:
    """Revise the rater's active rating; a comment left ``UNCHANGED`` is kept as it was."""
    article = existing(state, article_id)
    current = article.ratings.get(rater.rater_id)
    if comment is UNCHANGED:
        comment = current.comment if current is not None else None
    scores = _check_rating(relevance, newsworthiness, comment)
    check_open(article)
    if current is None:
        raise NoActiveRating(article_id, rater.rater_id)
    if (current.relevance, current.newsworthiness, current.comment) == scores:
        raise ValidationFailed("rating", "is the same as the active rating")
    return [
        RatingRevised(article_id, current.rating_id, rater.rater_id, current.discipline, *scores)
    ]


def decide_withdraw_rating(
    state: Article | None, article_id: str, rater: Rater
) -> list[DomainEvent]:
    article = check_open(existing(state, article_id))
    current = article.ratings.get(rater.rater_id)
    if current is None:
        raise NoActiveRating(article_id, rater.rater_id)
    return [RatingWithdrawn(article_id, current.rating_id, rater.rater_id, current.discipline)]


def _check_rating(
    relevance: object, newsworthiness: object, comment: object
) -> tuple[int, int, str | None]:
    return (
        check_score("relevance", relevance),
        check_score("newsworthiness", newsworthiness),
        None if comment is None else check_comment("comment", comment),
    )
