"""The article stream: its state, folded without I/O, and the editors' decisions on it.

One stream per article holds its registration, corrections, topics, retraction, every
version of every rating (``ratings``) and every comment with its moderation (``comments``).
``evolve`` folds events into an ``Article``; each ``decide_*`` function takes the current
state and a command's fields and returns the events to append, or raises a ``DomainError``
and returns nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ledger.domain.citation import CITATION_FIELDS, check_citation
from ledger.domain.errors import (
    AlreadyExists,
    AlreadyRetracted,
    ArticleIsRetracted,
    NotFound,
    ValidationFailed,
)
from ledger.domain.events import (
    ArticleCorrected,
    ArticleDisciplinesAssigned,
    ArticleRegistered,
    ArticleRetracted,
    ArticleTopicsChanged,
    CommentHidden,
    CommentPosted,
    CommentRestored,
    DomainEvent,
    RatingRequestCancelled,
    RatingRequested,
    RatingRequestExpired,
    RatingRevised,
    RatingSubmitted,
    RatingWithdrawn,
)
from ledger.domain.validation import check_identifier, check_text, check_texts
from ledger.domain.vocabulary import REFERENCE_VOCABULARY, Vocabulary

__all__ = [
    "ActiveRating",
    "Article",
    "Comment",
    "Rater",
    "Request",
    "check_open",
    "decide_change_topics",
    "decide_correct",
    "decide_register",
    "decide_retract",
    "evolve",
    "existing",
    "fold",
    "stream_id",
]


def stream_id(article_id: str) -> str:
    return f"article:{article_id}"


@dataclass(frozen=True)
class Rater:
    """What the article needs to know of an enrolled rater: who, and in which discipline."""

    rater_id: str
    discipline: str


@dataclass(frozen=True)
class ActiveRating:
    rating_id: str
    rater_id: str
    discipline: str
    relevance: int | None  # None: beyond the rater's expertise
    newsworthiness: int | None  # None: not asked, not known, or beyond expertise
    comment: str | None
    newsworthiness_unknown: bool = False
    beyond_expertise: bool = False


@dataclass(frozen=True)
class Comment:
    comment_id: str
    author_id: str
    hidden: bool


@dataclass(frozen=True)
class Request:
    """A rating request on the article: ``status`` is open, answered or expired."""

    request_id: str
    rater_id: str
    discipline: str
    requested_at: str
    due: str
    status: str = "open"


@dataclass(frozen=True)
class Article:
    article_id: str
    version: int
    citation: Mapping[str, Any]
    topics: tuple[str, ...]
    retracted: bool = False
    ratings: Mapping[str, ActiveRating] = field(default_factory=dict)  # by rater id
    comments: Mapping[str, Comment] = field(default_factory=dict)  # by comment id
    disciplines: tuple[str, ...] = ()  # assigned to be rated in (none: rated by anyone)
    populations: tuple[str, ...] = ()  # the patient populations it concerns (none: any)
    author_raters: tuple[str, ...] = ()  # enrolled raters among its authors: never asked
    requests: Mapping[str, Request] = field(default_factory=dict)  # by request id

    def requests_of(self, rater_id: str) -> list[Request]:
        return [r for r in self.requests.values() if r.rater_id == rater_id]


# -- folding ------------------------------------------------------------------------------


def fold(events: Iterable[DomainEvent]) -> Article | None:
    state: Article | None = None
    for event in events:
        state = evolve(state, event)
    return state


def evolve(state: Article | None, event: DomainEvent) -> Article:
    if isinstance(event, ArticleRegistered):
        if state is not None:
            raise ValueError(f"article {event.article_id} is registered twice in its stream")
        citation = {name: getattr(event, name) for name in CITATION_FIELDS}
        return Article(event.article_id, 1, citation, event.topics)
    if state is None:
        raise ValueError(f"{event.type_name} before ArticleRegistered")
    state = replace(state, version=state.version + 1)
    match event:
        case ArticleCorrected(changes=changes):
            return replace(state, citation={**state.citation, **dict(changes)})
        case ArticleTopicsChanged(topics=topics):
            return replace(state, topics=topics)
        case ArticleRetracted():
            return replace(state, retracted=True)
        case RatingSubmitted() | RatingRevised():
            rating = ActiveRating(
                event.rating_id,
                event.rater_id,
                event.discipline,
                event.relevance,
                event.newsworthiness,
                event.comment,
                event.newsworthiness_unknown,
                event.beyond_expertise,
            )
            state = replace(state, ratings={**state.ratings, event.rater_id: rating})
            return _answered(state, event.rater_id) if isinstance(event, RatingSubmitted) else state
        case RatingWithdrawn(rater_id=rater_id):
            ratings = {k: v for k, v in state.ratings.items() if k != rater_id}
            return replace(state, ratings=ratings)
        case CommentPosted(comment_id=comment_id, author_id=author_id):
            comment = Comment(comment_id, author_id, hidden=False)
            return replace(state, comments={**state.comments, comment_id: comment})
        case CommentHidden(comment_id=comment_id) | CommentRestored(comment_id=comment_id):
            hidden = isinstance(event, CommentHidden)
            comment = replace(state.comments[comment_id], hidden=hidden)
            return replace(state, comments={**state.comments, comment_id: comment})
        case ArticleDisciplinesAssigned():
            return replace(
                state,
                disciplines=event.disciplines,
                populations=event.populations,
                author_raters=event.author_raters,
            )
        case RatingRequested():
            request = Request(
                event.request_id, event.rater_id, event.discipline, event.requested_at, event.due
            )
            return replace(state, requests={**state.requests, event.request_id: request})
        case RatingRequestExpired(request_id=request_id):
            expired = replace(state.requests[request_id], status="expired")
            return replace(state, requests={**state.requests, request_id: expired})
        case RatingRequestCancelled(request_id=request_id):
            cancelled = replace(state.requests[request_id], status="cancelled")
            return replace(state, requests={**state.requests, request_id: cancelled})
    raise TypeError(f"the article stream does not hold {event.type_name}")


def _answered(state: Article, rater_id: str) -> Article:
    """A rating (beyond expertise included) answers the rater's open request, if any."""
    answered = {
        r.request_id: replace(r, status="answered")
        for r in state.requests.values()
        if r.rater_id == rater_id and r.status == "open"
    }
    return replace(state, requests={**state.requests, **answered}) if answered else state


# -- deciding -----------------------------------------------------------------------------


def decide_register(
    state: Article | None,
    article_id: str,
    citation: Mapping[str, Any],
    topics: object,
    vocabulary: Vocabulary = REFERENCE_VOCABULARY,
) -> list[DomainEvent]:
    check_identifier("article_id", article_id)
    if state is not None:
        raise AlreadyExists("article", article_id)
    unknown = set(citation) - set(CITATION_FIELDS)
    if unknown:
        raise ValidationFailed(sorted(unknown)[0], "is not a citation field")
    checked = check_citation({name: citation.get(name) for name in CITATION_FIELDS})
    checked["study_type"] = vocabulary.study_type(checked["study_type"])
    topics = _check_topics(vocabulary.spelled_as_known(topics))
    return [ArticleRegistered(article_id=article_id, topics=topics, **checked)]


def decide_correct(
    state: Article | None,
    article_id: str,
    changes: Mapping[str, Any],
    reason: object,
    vocabulary: Vocabulary = REFERENCE_VOCABULARY,
) -> list[DomainEvent]:
    article = existing(state, article_id)
    if not changes:
        raise ValidationFailed("changes", "name at least one field to correct")
    unknown = set(changes) - set(CITATION_FIELDS)
    if unknown:
        raise ValidationFailed(sorted(unknown)[0], "is not a citation field")
    if "study_type" in changes:
        # Only a study type being set is checked: one registered before the vocabulary stays.
        changes = {**changes, "study_type": vocabulary.study_type(changes["study_type"])}
    merged = check_citation({**article.citation, **changes})
    effective = {name: merged[name] for name in changes if merged[name] != article.citation[name]}
    if not effective:
        raise ValidationFailed("changes", "every value given is already the article's")
    return [
        ArticleCorrected(
            article_id=article_id,
            changes=tuple(sorted(effective.items())),
            reason=check_text("reason", reason, limit=1000),
        )
    ]


def decide_change_topics(
    state: Article | None,
    article_id: str,
    topics: object,
    vocabulary: Vocabulary = REFERENCE_VOCABULARY,
) -> list[DomainEvent]:
    article = existing(state, article_id)
    checked = _check_topics(vocabulary.spelled_as_known(topics))
    if checked == article.topics:
        raise ValidationFailed("topics", "are already the article's topics")
    return [ArticleTopicsChanged(article_id=article_id, topics=checked)]


def decide_retract(state: Article | None, article_id: str, reason: object) -> list[DomainEvent]:
    article = existing(state, article_id)
    if article.retracted:
        raise AlreadyRetracted(article_id)
    return [ArticleRetracted(article_id, check_text("reason", reason, limit=1000))]


# -- checks -------------------------------------------------------------------------------


def existing(state: Article | None, article_id: str) -> Article:
    if state is None:
        raise NotFound("article", article_id)
    return state


def check_open(article: Article) -> Article:
    """One rule for every rater's and subscriber's change: a retraction makes the article's
    ratings and comments final (it stays visible; editors may still hide or restore)."""
    if article.retracted:
        raise ArticleIsRetracted(article.article_id)
    return article


def _check_topics(topics: object) -> tuple[str, ...]:
    return check_texts("topics", topics, limit=100, most=30)
