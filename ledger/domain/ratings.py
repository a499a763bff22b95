"""Ratings on the article stream, decided without I/O, and the rating form's rules.

A rater has at most one active rating per article; they may revise or withdraw it, and
every version is kept. The rater's discipline comes with their enrolment (``Rater``).

The form (the reference service's): relevance 1 to 7, or "beyond my personal area of
expertise" (an answer that counts as no rating); newsworthiness is asked only when relevance
is above 2, and may be "I don't know if this is newsworthy"; a comment of at most 1,000
characters.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.domain.articles import ActiveRating, Article, Rater, check_open, existing
from ledger.domain.commands import UNCHANGED
from ledger.domain.errors import (
    DisciplineNotAssigned,
    DuplicateRating,
    NoActiveRating,
    RaterIsAuthor,
    RatingNotRequested,
    ValidationFailed,
)
from ledger.domain.events import DomainEvent, RatingRevised, RatingSubmitted, RatingWithdrawn
from ledger.domain.scores import NEWSWORTHINESS_ASKED_ABOVE, rated_in
from ledger.domain.validation import check_comment, check_score

__all__ = [
    "BEYOND_EXPERTISE",
    "DONT_KNOW",
    "MAX_RATER_COMMENT",
    "NEWSWORTHINESS_ASKED_ABOVE",
    "NOT_ASKED",
    "Answers",
    "check_answers",
    "decide_revise_rating",
    "decide_submit_rating",
    "decide_withdraw_rating",
    "newsworthiness_absence",
]

MAX_RATER_COMMENT = 1000

# Why a rating has no newsworthiness: stored in the views, served by the API.
NOT_ASKED = "not_asked"  # relevance 1 or 2
DONT_KNOW = "dont_know"  # "I don't know if this is newsworthy"
BEYOND_EXPERTISE = "beyond_expertise"  # no relevance either


@dataclass(frozen=True)
class Answers:
    """A rating form's answers, checked: the fields of a rating event, in its order."""

    relevance: int | None
    newsworthiness: int | None
    comment: str | None
    newsworthiness_unknown: bool = False
    beyond_expertise: bool = False

    @classmethod
    def of(cls, rating: ActiveRating) -> Answers:
        return cls(
            rating.relevance,
            rating.newsworthiness,
            rating.comment,
            rating.newsworthiness_unknown,
            rating.beyond_expertise,
        )


def newsworthiness_absence(
    newsworthiness: int | None, newsworthiness_unknown: bool, beyond_expertise: bool
) -> str | None:
    """Why a rating has no newsworthiness (None: it has one)."""
    if beyond_expertise:
        return BEYOND_EXPERTISE
    if newsworthiness_unknown:
        return DONT_KNOW
    return NOT_ASKED if newsworthiness is None else None


def check_answers(
    relevance: object,
    newsworthiness: object,
    comment: object,
    newsworthiness_unknown: object = False,
    beyond_expertise: object = False,
    *,
    kept_comment: bool = False,
) -> Answers:
    """The form's answers, or a ``ValidationFailed`` naming the field that breaks a rule.
    A ``kept_comment`` (a revision leaving the comment as it was) is not measured again: a
    comment written before the 1,000-character limit stays as it was written."""
    text = None if comment is None else check_comment("comment", comment)
    if text is not None and not kept_comment and len(text.strip()) > MAX_RATER_COMMENT:
        raise ValidationFailed("comment", f"must be at most {MAX_RATER_COMMENT:,} characters")
    if beyond_expertise is True:
        if relevance is not None:
            raise ValidationFailed("relevance", "is not asked when beyond your expertise")
        if newsworthiness is not None or newsworthiness_unknown is True:
            raise ValidationFailed("newsworthiness", "is not asked when beyond your expertise")
        return Answers(None, None, text, beyond_expertise=True)
    if relevance is None:
        raise ValidationFailed("relevance", "must be given, unless beyond your expertise")
    scale = check_score("relevance", relevance)
    asked = scale > NEWSWORTHINESS_ASKED_ABOVE
    if not asked and (newsworthiness is not None or newsworthiness_unknown is True):
        raise ValidationFailed(
            "newsworthiness", f"is asked only when relevance is above {NEWSWORTHINESS_ASKED_ABOVE}"
        )
    if newsworthiness_unknown is True:
        if newsworthiness is not None:
            raise ValidationFailed("newsworthiness", "cannot be both a score and unknown")
        return Answers(scale, None, text, newsworthiness_unknown=True)
    if asked and newsworthiness is None:
        raise ValidationFailed(
            "newsworthiness", "must be a whole number from 1 to 7, or unknown, when asked"
        )
    news = None if newsworthiness is None else check_score("newsworthiness", newsworthiness)
    return Answers(scale, news, text)


def decide_submit_rating(
    state: Article | None,
    article_id: str,
    rater: Rater,
    relevance: object,
    newsworthiness: object,
    comment: object,
    newsworthiness_unknown: object = False,
    beyond_expertise: object = False,
    *,
    rating_without_request: bool = True,
) -> list[DomainEvent]:
    """An article with assigned disciplines is rated in them only, and, unless the
    deployment allows ``rating_without_request``, only by raters asked to (open or
    answered); an article never assigned any is open to every rater, as before requests."""
    article = existing(state, article_id)
    answers = check_answers(
        relevance, newsworthiness, comment, newsworthiness_unknown, beyond_expertise
    )
    check_open(article)
    if rater.rater_id in article.ratings:
        raise DuplicateRating(article_id, rater.rater_id)
    if rater.rater_id in article.author_raters:
        raise RaterIsAuthor(article_id, rater.rater_id)
    if not rated_in(article.disciplines, rater.discipline):
        raise DisciplineNotAssigned(article_id, rater.discipline)
    if not rating_without_request and article.disciplines:
        asked = article.requests_of(rater.rater_id)
        if not any(r.status in ("open", "answered") for r in asked):
            raise RatingNotRequested(article_id, rater.rater_id)
    # Derived from the stream version, so a replayed command decides the very same event.
    rating_id = f"{article_id}.r{article.version + 1}"
    return [
        RatingSubmitted(
            article_id,
            rating_id,
            rater.rater_id,
            rater.discipline,
            answers.relevance,
            answers.newsworthiness,
            answers.comment,
            answers.newsworthiness_unknown,
            answers.beyond_expertise,
        )
    ]


def decide_revise_rating(
    state: Article | None,
    article_id: str,
    rater: Rater,
    relevance: object,
    newsworthiness: object,
    comment: object,
    newsworthiness_unknown: object = False,
    beyond_expertise: object = False,
) -> list[DomainEvent]:
    """Revise the rater's active rating; a comment left ``UNCHANGED`` is kept as it was."""
    article = existing(state, article_id)
    current = article.ratings.get(rater.rater_id)
    kept = comment is UNCHANGED
    if kept:
        comment = current.comment if current is not None else None
    answers = check_answers(
        relevance,
        newsworthiness,
        comment,
        newsworthiness_unknown,
        beyond_expertise,
        kept_comment=kept,
    )
    check_open(article)
    if current is None:
        raise NoActiveRating(article_id, rater.rater_id)
    if Answers.of(current) == answers:
        raise ValidationFailed("rating", "is the same as the active rating")
    return [
        RatingRevised(
            article_id,
            current.rating_id,
            rater.rater_id,
            current.discipline,
            answers.relevance,
            answers.newsworthiness,
            answers.comment,
            answers.newsworthiness_unknown,
            answers.beyond_expertise,
        )
    ]


def decide_withdraw_rating(
    state: Article | None, article_id: str, rater: Rater
) -> list[DomainEvent]:
    article = check_open(existing(state, article_id))
    current = article.ratings.get(rater.rater_id)
    if current is None:
        raise NoActiveRating(article_id, rater.rater_id)
    return [RatingWithdrawn(article_id, current.rating_id, rater.rater_id, current.discipline)]
