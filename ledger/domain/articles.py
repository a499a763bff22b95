"""The article stream, decided and folded without I/O.

One stream per article holds its registration, corrections, topics, retraction, every
version of every rating and every comment with its moderation. ``evolve`` folds events into
an ``Article``; each ``decide_*`` function takes the current state and a command and
returns the events to append, or raises a ``DomainError`` and returns nothing.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ledger.domain.errors import (
    AlreadyExists,
    AlreadyRetracted,
    ArticleIsRetracted,
    DuplicateRating,
    NoActiveRating,
    NotFound,
    ValidationFailed,
    WrongCommentState,
)
from ledger.domain.events import (
    ArticleCorrected,
    ArticleRegistered,
    ArticleRetracted,
    ArticleTopicsChanged,
    CommentHidden,
    CommentPosted,
    CommentRestored,
    DomainEvent,
    RatingRevised,
    RatingSubmitted,
    RatingWithdrawn,
    StudyTypeRegistered,
)
from ledger.domain.validation import (
    check_comment,
    check_date,
    check_identifier,
    check_optional_text,
    check_score,
    check_text,
    check_texts,
)

__all__ = [
    "CITATION_FIELDS",
    "DEFAULT_STUDY_TYPES",
    "STUDY_TYPES_STREAM",
    "UNCHANGED",
    "ActiveRating",
    "Article",
    "Comment",
    "Rater",
    "Unchanged",
    "Vocabulary",
    "decide_change_topics",
    "decide_correct",
    "decide_hide_comment",
    "decide_post_comment",
    "decide_register",
    "decide_register_study_type",
    "decide_restore_comment",
    "decide_retract",
    "decide_revise_rating",
    "decide_submit_rating",
    "decide_withdraw_rating",
    "evolve",
    "fold",
    "stream_id",
    "topic_key",
]

CITATION_FIELDS = (
    "title",
    "authors",
    "journal",
    "journal_abbreviation",
    "published_on",
    "volume",
    "issue",
    "pages",
    "doi",
    "pmid",
    "publication_note",
    "study_type",
    "abstract",
)
_DOI = re.compile(r"10\.\d{4,9}/\S{1,200}")
_PMID = re.compile(r"[1-9]\d{0,9}")


# The reference service's study types; editors add more (``StudyTypeRegistered``).
DEFAULT_STUDY_TYPES = (
    "Systematic review",
    "Meta-analysis",
    "Randomized controlled trial",
    "Cohort",
    "Case-control",
    "Case series",
    "Cross-sectional",
    "Diagnostic accuracy",
    "Economic evaluation",
    "Qualitative",
    "Guideline",
)
# One stream holds every study type added, so the whole vocabulary is one indexed read.
STUDY_TYPES_STREAM = "vocabulary:study-types"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def topic_key(name: str) -> str:
    """What makes two topics the same: the text, trimmed, with ASCII letters in lower case.
    (Only ASCII: SQLite's lower() and the PostgreSQL expression of it agree on exactly that.)"""
    return name.strip().translate(_ASCII_LOWER)


@dataclass(frozen=True)
class Vocabulary:
    """What the ledger already knows when an article's study type and topics are decided."""

    study_types: tuple[str, ...] = DEFAULT_STUDY_TYPES
    # The spelling the ledger uses for each topic, by ``topic_key``.
    topics: Mapping[str, str] = field(default_factory=dict)

    def spelled_as_known(self, topics: object) -> object:
        """The topics, each as the ledger already spells it ("back pain" -> "Back Pain")."""
        if not isinstance(topics, list | tuple):
            return topics  # refused by the topics check, with its own message
        return [self.topics.get(topic_key(t), t) if isinstance(t, str) else t for t in topics]

    def study_type(self, value: object) -> str:
        """The study type as the vocabulary spells it; anything else is refused."""
        checked = check_text("study_type", value, limit=100)
        for known in self.study_types:
            if known.casefold() == checked.casefold():
                return known
        raise ValidationFailed(
            "study_type", f"must be one of the study types: {', '.join(self.study_types)}"
        )


class Unchanged(enum.Enum):
    """A field a command leaves out: kept as it is. (``None`` given means "clear it".)"""

    UNCHANGED = "unchanged"


UNCHANGED = Unchanged.UNCHANGED


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
    relevance: int
    newsworthiness: int
    comment: str | None


@dataclass(frozen=True)
class Comment:
    comment_id: str
    author_id: str
    hidden: bool


@dataclass(frozen=True)
class Article:
    article_id: str
    version: int
    citation: Mapping[str, Any]
    topics: tuple[str, ...]
    retracted: bool = False
    ratings: Mapping[str, ActiveRating] = field(default_factory=dict)  # by rater id
    comments: Mapping[str, Comment] = field(default_factory=dict)  # by comment id


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
            )
            return replace(state, ratings={**state.ratings, event.rater_id: rating})
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
    raise TypeError(f"the article stream does not hold {event.type_name}")


# -- deciding -----------------------------------------------------------------------------


def decide_register(
    state: Article | None,
    article_id: str,
    citation: Mapping[str, Any],
    topics: object,
    vocabulary: Vocabulary = Vocabulary(),
) -> list[DomainEvent]:
    check_identifier("article_id", article_id)
    if state is not None:
        raise AlreadyExists("article", article_id)
    unknown = set(citation) - set(CITATION_FIELDS)
    if unknown:
        raise ValidationFailed(sorted(unknown)[0], "is not a citation field")
    checked = _check_citation({name: citation.get(name) for name in CITATION_FIELDS})
    checked["study_type"] = vocabulary.study_type(checked["study_type"])
    topics = _check_topics(vocabulary.spelled_as_known(topics))
    return [ArticleRegistered(article_id=article_id, topics=topics, **checked)]


def decide_correct(
    state: Article | None,
    article_id: str,
    changes: Mapping[str, Any],
    reason: object,
    vocabulary: Vocabulary = Vocabulary(),
) -> list[DomainEvent]:
    article = _existing(state, article_id)
    if not changes:
        raise ValidationFailed("changes", "name at least one field to correct")
    unknown = set(changes) - set(CITATION_FIELDS)
    if unknown:
        raise ValidationFailed(sorted(unknown)[0], "is not a citation field")
    if "study_type" in changes:
        # Only a study type being set is checked: one registered before the vocabulary stays.
        changes = {**changes, "study_type": vocabulary.study_type(changes["study_type"])}
    merged = _check_citation({**article.citation, **changes})
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
    state: Article | None, article_id: str, topics: object, vocabulary: Vocabulary = Vocabulary()
) -> list[DomainEvent]:
    article = _existing(state, article_id)
    checked = _check_topics(vocabulary.spelled_as_known(topics))
    if checked == article.topics:
        raise ValidationFailed("topics", "are already the article's topics")
    return [ArticleTopicsChanged(article_id=article_id, topics=checked)]


def decide_retract(state: Article | None, article_id: str, reason: object) -> list[DomainEvent]:
    article = _existing(state, article_id)
    if article.retracted:
        raise AlreadyRetracted(article_id)
    return [ArticleRetracted(article_id, check_text("reason", reason, limit=1000))]


def decide_submit_rating(
    state: Article | None,
    article_id: str,
    rater: Rater,
    relevance: object,
    newsworthiness: object,
    comment: object,
) -> list[DomainEvent]:
    article = _existing(state, article_id)
    scores = _check_rating(relevance, newsworthiness, comment)
    _check_open(article)
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
    article = _existing(state, article_id)
    current = article.ratings.get(rater.rater_id)
    if comment is UNCHANGED:
        comment = current.comment if current is not None else None
    scores = _check_rating(relevance, newsworthiness, comment)
    _check_open(article)
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
    article = _check_open(_existing(state, article_id))
    current = article.ratings.get(rater.rater_id)
    if current is None:
        raise NoActiveRating(article_id, rater.rater_id)
    return [RatingWithdrawn(article_id, current.rating_id, rater.rater_id, current.discipline)]


def decide_post_comment(
    state: Article | None, article_id: str, author_id: str, body: object
) -> list[DomainEvent]:
    article = _existing(state, article_id)
    body = check_comment("body", body)
    _check_open(article)
    comment_id = f"{article_id}.c{article.version + 1}"
    return [CommentPosted(article_id, comment_id, author_id, body)]


def decide_hide_comment(
    state: Article | None, article_id: str, comment_id: str, reason: object
) -> list[DomainEvent]:
    comment = _comment(state, article_id, comment_id)
    if comment.hidden:
        raise WrongCommentState(comment_id, hidden=True)
    return [CommentHidden(article_id, comment_id, check_text("reason", reason, limit=1000))]


def decide_restore_comment(
    state: Article | None, article_id: str, comment_id: str, reason: object
) -> list[DomainEvent]:
    comment = _comment(state, article_id, comment_id)
    if not comment.hidden:
        raise WrongCommentState(comment_id, hidden=False)
    return [CommentRestored(article_id, comment_id, check_text("reason", reason, limit=1000))]


def decide_register_study_type(known: tuple[str, ...], name: object) -> list[DomainEvent]:
    """Add a study type to the vocabulary; one already in it (in any case) is refused."""
    checked = check_text("name", name, limit=100)
    if any(t.casefold() == checked.casefold() for t in known):
        raise AlreadyExists("study type", checked)
    return [StudyTypeRegistered(checked)]


# -- checks -------------------------------------------------------------------------------


def _existing(state: Article | None, article_id: str) -> Article:
    if state is None:
        raise NotFound("article", article_id)
    return state


def _check_open(article: Article) -> Article:
    """One rule for every rater's and subscriber's change: a retraction makes the article's
    ratings and comments final (it stays visible; editors may still hide or restore)."""
    if article.retracted:
        raise ArticleIsRetracted(article.article_id)
    return article


def _comment(state: Article | None, article_id: str, comment_id: str) -> Comment:
    comment = _existing(state, article_id).comments.get(comment_id)
    if comment is None:
        raise NotFound("comment", comment_id)
    return comment


def _check_rating(
    relevance: object, newsworthiness: object, comment: object
) -> tuple[int, int, str | None]:
    return (
        check_score("relevance", relevance),
        check_score("newsworthiness", newsworthiness),
        None if comment is None else check_comment("comment", comment),
    )


def _check_topics(topics: object) -> tuple[str, ...]:
    return check_texts("topics", topics, limit=100, most=30)


def _check_citation(citation: Mapping[str, Any]) -> dict[str, Any]:
    doi = check_optional_text("doi", citation["doi"], limit=220)
    if doi is not None and not _DOI.fullmatch(doi):
        raise ValidationFailed("doi", "must look like 10.NNNN/suffix")
    pmid = check_optional_text("pmid", citation["pmid"], limit=10)
    if pmid is not None and not _PMID.fullmatch(pmid):
        raise ValidationFailed("pmid", "must be a PubMed id: digits only")
    # Authors are an ordered list, not a set: two people may share a name.
    authors = check_texts(
        "authors", citation["authors"] or [], limit=300, most=2000, distinct=False
    )
    return {
        "title": check_text("title", citation["title"], limit=1000),
        "authors": authors,
        "journal": check_text("journal", citation["journal"], limit=300),
        "journal_abbreviation": check_optional_text(
            "journal_abbreviation", citation["journal_abbreviation"], limit=100
        ),
        "published_on": check_date("published_on", citation["published_on"]),
        "volume": check_optional_text("volume", citation["volume"], limit=50),
        "issue": check_optional_text("issue", citation["issue"], limit=50),
        "pages": check_optional_text("pages", citation["pages"], limit=50),
        "doi": doi,
        "pmid": pmid,
        "publication_note": check_optional_text(
            "publication_note", citation["publication_note"], limit=300
        ),
        "study_type": check_text("study_type", citation["study_type"], limit=100),
        "abstract": check_text("abstract", citation["abstract"], limit=20000),
    }
