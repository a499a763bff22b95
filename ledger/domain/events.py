"""Domain events: past-tense frozen dataclasses, and the registry of their stable names.

A type name, once stored, is stable forever. When an event's shape changes, its
``schema_version`` goes up and an upcaster lifts stored payloads of the older shape on
read; stored rows are never rewritten (they are hashed into the chain).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ledger.domain.event_registry import (
    DomainEvent,
    EventRegistry,
    JSONValue,
    Payload,
    Upcaster,
    frozen,
    plain,
)

__all__ = [
    "REGISTRY",
    "AlertProfileCleared",
    "AlertProfileSet",
    "ArticleCorrected",
    "ArticleDisciplinesAssigned",
    "ArticleRegistered",
    "ArticleRetracted",
    "ArticleTopicsChanged",
    "CommentHidden",
    "CommentPosted",
    "CommentRestored",
    "DisciplineRegistered",
    "DomainEvent",
    "EventRegistry",
    "JSONValue",
    "Payload",
    "RaterEnrolled",
    "RaterProfileSet",
    "RaterRequestsPaused",
    "RaterRequestsResumed",
    "RatingRequestCancelled",
    "RatingRequestExpired",
    "RatingRequested",
    "RatingRevised",
    "RatingSubmitted",
    "RatingWithdrawn",
    "StudyTypeRegistered",
    "Upcaster",
]

REGISTRY = EventRegistry()


@REGISTRY.event
@dataclass(frozen=True)
class ArticleRegistered(DomainEvent):
    type_name: ClassVar[str] = "ArticleRegistered"
    article_id: str
    title: str
    authors: tuple[str, ...]
    journal: str
    journal_abbreviation: str | None
    published_on: str | None
    volume: str | None
    issue: str | None
    pages: str | None
    doi: str | None
    pmid: str | None
    publication_note: str | None
    study_type: str
    abstract: str
    topics: tuple[str, ...]


@REGISTRY.event
@dataclass(frozen=True)
class ArticleCorrected(DomainEvent):
    """Only the corrected citation fields are carried, with their new values."""

    type_name: ClassVar[str] = "ArticleCorrected"
    article_id: str
    changes: tuple[tuple[str, Any], ...]
    reason: str

    def to_payload(self) -> Payload:
        return {
            "article_id": self.article_id,
            "changes": {name: plain(value) for name, value in self.changes},
            "reason": self.reason,
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> DomainEvent:
        changes = tuple(sorted((k, frozen(v)) for k, v in payload["changes"].items()))
        return cls(article_id=payload["article_id"], changes=changes, reason=payload["reason"])


@REGISTRY.event
@dataclass(frozen=True)
class ArticleRetracted(DomainEvent):
    type_name: ClassVar[str] = "ArticleRetracted"
    article_id: str
    reason: str


@REGISTRY.event
@dataclass(frozen=True)
class ArticleTopicsChanged(DomainEvent):
    type_name: ClassVar[str] = "ArticleTopicsChanged"
    article_id: str
    topics: tuple[str, ...]


@REGISTRY.event
@dataclass(frozen=True)
class RaterEnrolled(DomainEvent):
    """Names live in the people table (erasable); the event carries only the person's id."""

    type_name: ClassVar[str] = "RaterEnrolled"
    rater_id: str
    person_id: str
    discipline: str


@REGISTRY.event
@dataclass(frozen=True)
class RatingSubmitted(DomainEvent):
    """Version 2 carries the full form: ``relevance`` is None when the article is beyond the
    rater's expertise (``beyond_expertise``), ``newsworthiness`` None when it was not asked
    (relevance 1-2), or answered "I don't know" (``newsworthiness_unknown``). Version 1
    always had both scales (its upcaster below lifts it)."""

    type_name: ClassVar[str] = "RatingSubmitted"
    schema_version: ClassVar[int] = 2
    article_id: str
    rating_id: str
    rater_id: str
    discipline: str
    relevance: int | None
    newsworthiness: int | None
    comment: str | None
    newsworthiness_unknown: bool = False
    beyond_expertise: bool = False


@REGISTRY.event
@dataclass(frozen=True)
class RatingRevised(DomainEvent):
    """The rating's new answers, in the shape of ``RatingSubmitted`` (version 2 likewise)."""

    type_name: ClassVar[str] = "RatingRevised"
    schema_version: ClassVar[int] = 2
    article_id: str
    rating_id: str
    rater_id: str
    discipline: str
    relevance: int | None
    newsworthiness: int | None
    comment: str | None
    newsworthiness_unknown: bool = False
    beyond_expertise: bool = False


@REGISTRY.event
@dataclass(frozen=True)
class RatingWithdrawn(DomainEvent):
    type_name: ClassVar[str] = "RatingWithdrawn"
    article_id: str
    rating_id: str
    rater_id: str
    discipline: str


@REGISTRY.event
@dataclass(frozen=True)
class CommentPosted(DomainEvent):
    type_name: ClassVar[str] = "CommentPosted"
    article_id: str
    comment_id: str
    author_id: str
    body: str


@REGISTRY.event
@dataclass(frozen=True)
class CommentHidden(DomainEvent):
    type_name: ClassVar[str] = "CommentHidden"
    article_id: str
    comment_id: str
    reason: str


@REGISTRY.event
@dataclass(frozen=True)
class CommentRestored(DomainEvent):
    type_name: ClassVar[str] = "CommentRestored"
    article_id: str
    comment_id: str
    reason: str


@REGISTRY.event
@dataclass(frozen=True)
class DisciplineRegistered(DomainEvent):
    """A discipline raters can belong to; the registry is data, grown by editors."""

    type_name: ClassVar[str] = "DisciplineRegistered"
    name: str


@REGISTRY.event
@dataclass(frozen=True)
class StudyTypeRegistered(DomainEvent):
    """A study type added by an editor to the vocabulary articles are registered with."""

    type_name: ClassVar[str] = "StudyTypeRegistered"
    name: str


@REGISTRY.event
@dataclass(frozen=True)
class AlertProfileSet(DomainEvent):
    """A subscriber's alert profile, set or replaced whole. The email address and webhook
    URL live in the ``alert_contacts`` table (erasable); the event carries only the id of
    that row (None: no contact given)."""

    type_name: ClassVar[str] = "AlertProfileSet"
    subscriber_id: str
    disciplines: tuple[str, ...]
    relevance_cutoff: int
    newsworthiness_cutoff: int
    topics: tuple[str, ...]
    study_types: tuple[str, ...]
    delivery: str
    contact_id: str | None


@REGISTRY.event
@dataclass(frozen=True)
class AlertProfileCleared(DomainEvent):
    """The subscriber wants no more alerts; alerts already due stay due."""

    type_name: ClassVar[str] = "AlertProfileCleared"
    subscriber_id: str


@REGISTRY.event
@dataclass(frozen=True)
class ArticleDisciplinesAssigned(DomainEvent):
    """The disciplines an article is to be rated in, the patient populations it concerns
    (empty: any) and, from version 2, the enrolled raters among its authors, who are never
    asked to rate it; each assignment replaces the last whole.

    From version 2 an assignment also limits the alerts to its disciplines
    (``limits_alerts``). A version 1 assignment did not: ratings in any discipline counted
    toward alerts, and its upcaster below keeps it so, so that a replay decides the alerts
    its time decided."""

    type_name: ClassVar[str] = "ArticleDisciplinesAssigned"
    schema_version: ClassVar[int] = 2
    article_id: str
    disciplines: tuple[str, ...]
    populations: tuple[str, ...]
    author_raters: tuple[str, ...] = ()
    limits_alerts: bool = True


@REGISTRY.event
@dataclass(frozen=True)
class RatingRequested(DomainEvent):
    """A rater is asked to rate the article in their discipline. The times are decided by
    the command's clock and kept here, so a replay never reads a clock."""

    type_name: ClassVar[str] = "RatingRequested"
    article_id: str
    request_id: str
    rater_id: str
    discipline: str
    requested_at: str  # ISO 8601, UTC
    due: str  # ISO 8601, UTC


@REGISTRY.event
@dataclass(frozen=True)
class RatingRequestExpired(DomainEvent):
    """An open request went unanswered past its due time; the rater is not asked again."""

    type_name: ClassVar[str] = "RatingRequestExpired"
    article_id: str
    request_id: str
    rater_id: str
    discipline: str
    requested_at: str
    due: str


@REGISTRY.event
@dataclass(frozen=True)
class RatingRequestCancelled(DomainEvent):
    """An open request closed unanswered by an assignment that took its discipline from the
    article (the rater could no longer answer) or named its rater among the authors."""

    type_name: ClassVar[str] = "RatingRequestCancelled"
    article_id: str
    request_id: str
    rater_id: str
    discipline: str


@REGISTRY.event
@dataclass(frozen=True)
class RaterProfileSet(DomainEvent):
    """A rater's patient populations and how many requests a month they accept, set whole."""

    type_name: ClassVar[str] = "RaterProfileSet"
    rater_id: str
    populations: tuple[str, ...]
    monthly_limit: int


@REGISTRY.event
@dataclass(frozen=True)
class RaterRequestsPaused(DomainEvent):
    """The rater receives no new requests until resumed; open ones stay open."""

    type_name: ClassVar[str] = "RaterRequestsPaused"
    rater_id: str


@REGISTRY.event
@dataclass(frozen=True)
class RaterRequestsResumed(DomainEvent):
    type_name: ClassVar[str] = "RaterRequestsResumed"
    rater_id: str


# Version 1 of a rating had both scales, always: it answered neither "don't know" nor
# "beyond my expertise". Lifted on read; the stored rows keep the bytes that were hashed.
def _both_scales(payload: Payload) -> Payload:
    return {**payload, "newsworthiness_unknown": False, "beyond_expertise": False}


REGISTRY.upcaster("RatingSubmitted", 1)(_both_scales)
REGISTRY.upcaster("RatingRevised", 1)(_both_scales)


# Version 1 of an assignment named no author raters (every rater of the disciplines could be
# asked) and left the alerts to every discipline rated. Lifted on read, like the ratings above.
@REGISTRY.upcaster("ArticleDisciplinesAssigned", 1)
def _no_author_raters(payload: Payload) -> Payload:
    return {**payload, "author_raters": [], "limits_alerts": False}
