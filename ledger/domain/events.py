"""Domain events: past-tense frozen dataclasses, and the registry of their stable names.

A type name, once stored, is stable forever. When an event's shape changes, its
``schema_version`` goes up and an upcaster lifts stored payloads of the older shape on
read; stored rows are never rewritten (they are hashed into the chain).
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeAlias

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
    "RatingRequestExpired",
    "RatingRequested",
    "RatingRevised",
    "RatingSubmitted",
    "RatingWithdrawn",
    "StudyTypeRegistered",
    "Upcaster",
]

JSONValue: TypeAlias = "bool | int | float | str | list[JSONValue] | dict[str, JSONValue] | None"
Payload: TypeAlias = dict[str, Any]
Upcaster: TypeAlias = Callable[[Payload], Payload]


@dataclass(frozen=True)
class DomainEvent:
    """Base of every domain event; ``type_name`` is the stored, stable name."""

    type_name: ClassVar[str] = ""
    schema_version: ClassVar[int] = 1

    def to_payload(self) -> Payload:
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> DomainEvent:
        names, direct = _fields_of(cls)
        if direct and payload.keys() == names:
            # Nothing to freeze or leave out: the payload is the instance's whole state. It
            # is set as the generated __init__ would set it (no __post_init__ to run), but at
            # once: a frozen dataclass's __init__ assigns field by field through
            # object.__setattr__, which makes it some 1.7 times slower (a replay builds one
            # event per stored event).
            event = object.__new__(cls)
            event.__dict__.update(payload)
            return event
        # Only lists need freezing (JSON has no tuples); other values are passed as they are.
        items = payload.items()
        return cls(**{k: _frozen(v) if isinstance(v, list) else v for k, v in items if k in names})


_SCALARS = (str, int, float, bool, type(None))
_FIELDS: dict[type[DomainEvent], tuple[frozenset[str], bool]] = {}


def _fields_of(cls: type[DomainEvent]) -> tuple[frozenset[str], bool]:
    """The init fields of an event class, and whether a payload of exactly those fields can
    become its state as it is: all of them hold plain scalars (no list to freeze) and the
    class has no ``__post_init__``. Worked out once per class: ``dataclasses.fields`` walks
    every attribute on each call, which a replay would do once per event."""
    known = _FIELDS.get(cls)
    if known is None:
        fields = dataclasses.fields(cls)
        try:
            hints = typing.get_type_hints(cls)
        except NameError:  # an annotation that does not resolve here: take the long way
            hints = {}
        scalar = all(
            all(arg in _SCALARS for arg in (typing.get_args(hint) or (hint,)))
            for hint in (hints.get(f.name) for f in fields)
        )
        direct = scalar and not hasattr(cls, "__post_init__") and "__slots__" not in vars(cls)
        known = _FIELDS[cls] = (frozenset(f.name for f in fields), direct)
    return known


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _frozen(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


class EventRegistry:
    """Maps stable type names to event classes and to the upcasters of older shapes."""

    def __init__(self) -> None:
        self._classes: dict[str, type[DomainEvent]] = {}
        self._versions: dict[str, int] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

    def register(
        self, name: str, cls: type[DomainEvent] | None = None, *, schema_version: int = 1
    ) -> None:
        if name in self._versions:
            raise ValueError(f"event type {name!r} is registered twice")
        self._versions[name] = schema_version
        if cls is not None:
            self._classes[name] = cls

    def event(self, cls: type[DomainEvent]) -> type[DomainEvent]:
        """Class decorator: register a domain event under its ``type_name``."""
        self.register(cls.type_name, cls, schema_version=cls.schema_version)
        return cls

    def upcaster(self, name: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Decorator: lift a payload of ``name`` from ``from_version`` to the next version."""

        def decorate(function: Upcaster) -> Upcaster:
            self._upcasters[(name, from_version)] = function
            return function

        return decorate

    def is_known(self, name: str) -> bool:
        return name in self._versions

    def current_version(self, name: str) -> int:
        return self._versions[name]

    def upcast(self, name: str, schema_version: int, payload: Payload) -> tuple[Payload, int]:
        """Lift a stored payload step by step to the current shape of its type."""
        current = self._versions[name]
        while schema_version < current:
            step = self._upcasters.get((name, schema_version))
            if step is None:
                raise LookupError(f"no upcaster for {name!r} from version {schema_version}")
            payload = step(payload)
            schema_version += 1
        return payload, schema_version

    def classes(self) -> dict[str, type[DomainEvent]]:
        """The registered event classes by type name."""
        return dict(self._classes)

    def decode(self, name: str, payload: Mapping[str, Any]) -> DomainEvent:
        return self._classes[name].from_payload(payload)

    def copy(self) -> EventRegistry:
        clone = EventRegistry()
        clone._classes = dict(self._classes)
        clone._versions = dict(self._versions)
        clone._upcasters = dict(self._upcasters)
        return clone


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
            "changes": {name: _plain(value) for name, value in self.changes},
            "reason": self.reason,
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> DomainEvent:
        changes = tuple(sorted((k, _frozen(v)) for k, v in payload["changes"].items()))
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
    """The disciplines an article is to be rated in, and the patient populations it concerns
    (empty: any); each assignment replaces the last whole."""

    type_name: ClassVar[str] = "ArticleDisciplinesAssigned"
    article_id: str
    disciplines: tuple[str, ...]
    populations: tuple[str, ...]


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
