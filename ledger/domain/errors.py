"""Every refusal the ledger can give, as one tree of typed errors.

    LedgerError
    ├── InvalidAppend                 the append was malformed; nothing was written
    │   ├── InvalidStreamId
    │   ├── EmptyAppend
    │   ├── InvalidExpectedVersion
    │   ├── UnknownEventType
    │   ├── UnserialisablePayload
    │   └── InvalidMetadata
    ├── WrongExpectedVersion          the stream moved since the caller read it
    │   └── StaleExpectedVersion      ... since the version the client said it saw
    ├── IdempotencyKeyReused          the key was first used for a different append
    ├── UnknownEventTypeStored        a stored event has a type nobody registered
    └── DomainError                   a command the domain refuses; nothing was written
        ├── ValidationFailed          a field is malformed (names the field)
        ├── NotFound                  the article, rater, rating, comment or discipline
        ├── AlreadyExists             registering or enrolling twice
        ├── NotASubscriber            only a subscriber has an alert profile
        └── RuleBroken                a rule of the domain forbids it now
            ├── DuplicateRating       the rater already has an active rating here
            ├── ArticleIsRetracted    a retracted article's ratings and comments are final
            ├── AlreadyRetracted      retracting twice
            ├── NoActiveRating        nothing to revise or withdraw
            ├── WrongCommentState     hiding a hidden comment, restoring a visible one
            ├── RatingNotRequested    rating an article one was not asked to rate
            └── WrongPauseState       pausing paused requests, resuming running ones

Callers switch on the class; the message is for people.
"""

from __future__ import annotations

from ledger.domain.wording import with_article

__all__ = [
    "AlreadyExists",
    "AlreadyRetracted",
    "ArticleIsRetracted",
    "DisciplineNotAssigned",
    "DomainError",
    "DuplicateRating",
    "EmptyAppend",
    "IdempotencyKeyReused",
    "InvalidAppend",
    "InvalidExpectedVersion",
    "InvalidMetadata",
    "InvalidStreamId",
    "LedgerError",
    "NoActiveRating",
    "NotASubscriber",
    "NotFound",
    "RaterIsAuthor",
    "RatingNotRequested",
    "RuleBroken",
    "StaleExpectedVersion",
    "UnknownEventType",
    "UnknownEventTypeStored",
    "UnserialisablePayload",
    "ValidationFailed",
    "WrongCommentState",
    "WrongExpectedVersion",
    "WrongPauseState",
]


class LedgerError(Exception):
    """Base of every error the ledger raises on purpose."""


class InvalidAppend(LedgerError, ValueError):
    """The append request itself is wrong; retrying it unchanged cannot succeed."""


class InvalidStreamId(InvalidAppend):
    def __init__(self, stream_id: object) -> None:
        super().__init__(
            f"invalid stream id {stream_id!r}: expected 'category:identifier', "
            "e.g. 'article:3f2a...' (letters, digits, '.', '_', '-'; at most 160 characters)"
        )
        self.stream_id = stream_id


class EmptyAppend(InvalidAppend):
    def __init__(self) -> None:
        super().__init__("an append must carry at least one event")


class InvalidExpectedVersion(InvalidAppend):
    def __init__(self, expected_version: object) -> None:
        super().__init__(
            f"invalid expected version {expected_version!r}: expected a whole number >= 0 "
            "(0 means the stream must not exist yet) or None for no check"
        )
        self.expected_version = expected_version


class UnknownEventType(InvalidAppend):
    def __init__(self, event_type: str) -> None:
        super().__init__(f"unknown event type {event_type!r}: it is not in the event registry")
        self.event_type = event_type


class UnserialisablePayload(InvalidAppend):
    def __init__(self, event_type: str, reason: str) -> None:
        super().__init__(f"payload of {event_type!r} is not canonical JSON: {reason}")
        self.event_type = event_type


class InvalidMetadata(InvalidAppend):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"invalid {field}: {reason}")
        self.field = field


class WrongExpectedVersion(LedgerError):
    """Optimistic concurrency refused the append: re-read the stream and decide again."""

    def __init__(self, stream_id: str, expected: int, actual: int) -> None:
        super().__init__(
            f"stream {stream_id!r} is at version {actual}, not at the expected version {expected}"
        )
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class StaleExpectedVersion(WrongExpectedVersion):
    """The client's own expected version is stale: deciding again cannot help, so the use
    case reports it at once instead of retrying."""


class IdempotencyKeyReused(LedgerError):
    """The key already names an append of other events; answering it would be a lie."""

    def __init__(self, idempotency_key: str) -> None:
        super().__init__(
            f"idempotency key {idempotency_key!r} was already used for a different append"
        )
        self.idempotency_key = idempotency_key


class UnknownEventTypeStored(LedgerError):
    """A stored event cannot be decoded: its type was never registered in this build."""

    def __init__(self, event_type: str, position: int) -> None:
        super().__init__(f"event at position {position} has unregistered type {event_type!r}")
        self.event_type = event_type
        self.position = position


class DomainError(LedgerError):
    """The domain refused a command; nothing was appended."""


class ValidationFailed(DomainError, ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class NotFound(DomainError, LookupError):
    def __init__(self, kind: str, identifier: str) -> None:
        super().__init__(f"no {kind} {identifier!r}")
        self.kind = kind
        self.identifier = identifier


class AlreadyExists(DomainError):
    def __init__(self, kind: str, identifier: str) -> None:
        super().__init__(f"{kind} {identifier!r} already exists")
        self.kind = kind
        self.identifier = identifier


class NotASubscriber(DomainError):
    """Alert profiles belong to subscribers: another role's principal has none to set."""

    def __init__(self, role: str) -> None:
        super().__init__(f"only a subscriber has an alert profile, not {with_article(role)}")
        self.role = role


class RuleBroken(DomainError):
    """A well-formed command that the current state of the domain forbids."""


class DuplicateRating(RuleBroken):
    def __init__(self, article_id: str, rater_id: str) -> None:
        super().__init__(
            f"rater {rater_id!r} already has an active rating of article {article_id!r}: "
            "revise or withdraw it instead"
        )
        self.article_id = article_id
        self.rater_id = rater_id


class ArticleIsRetracted(RuleBroken):
    def __init__(self, article_id: str) -> None:
        super().__init__(
            f"article {article_id!r} is retracted: its ratings and comments can no longer change"
        )
        self.article_id = article_id


class NoActiveRating(RuleBroken):
    def __init__(self, article_id: str, rater_id: str) -> None:
        super().__init__(f"rater {rater_id!r} has no active rating of article {article_id!r}")
        self.article_id = article_id
        self.rater_id = rater_id


class WrongCommentState(RuleBroken):
    def __init__(self, comment_id: str, hidden: bool) -> None:
        state = "already hidden" if hidden else "not hidden"
        super().__init__(f"comment {comment_id!r} is {state}")
        self.comment_id = comment_id
        self.hidden = hidden


class AlreadyRetracted(RuleBroken):
    def __init__(self, article_id: str) -> None:
        super().__init__(f"article {article_id!r} is already retracted")
        self.article_id = article_id


class RatingNotRequested(RuleBroken):
    """The deployment rates by request: an article with assigned disciplines is rated by the
    raters asked to rate it."""

    def __init__(self, article_id: str, rater_id: str) -> None:
        super().__init__(
            f"rater {rater_id!r} was not asked to rate article {article_id!r}: "
            "this article is rated by request"
        )
        self.article_id = article_id
        self.rater_id = rater_id


class DisciplineNotAssigned(RuleBroken):
    """An article with assigned disciplines is rated in them only: a rater of another
    discipline may not rate it (their score would not show), asked or not."""

    def __init__(self, article_id: str, discipline: str) -> None:
        super().__init__(
            f"article {article_id!r} is not rated in the discipline {discipline!r}: "
            "only raters of its assigned disciplines rate it"
        )
        self.article_id = article_id
        self.discipline = discipline


class RaterIsAuthor(RuleBroken):
    """A rater the editor named among an article's authors may not rate it."""

    def __init__(self, article_id: str, rater_id: str) -> None:
        super().__init__(
            f"rater {rater_id!r} is named among the authors of article {article_id!r}: "
            "an author does not rate their own article"
        )
        self.article_id = article_id
        self.rater_id = rater_id


class WrongPauseState(RuleBroken):
    def __init__(self, rater_id: str, paused: bool) -> None:
        state = "already paused" if paused else "not paused"
        super().__init__(f"rater {rater_id!r}'s rating requests are {state}")
        self.rater_id = rater_id
        self.paused = paused
