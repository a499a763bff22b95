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
    ├── IdempotencyKeyReused          the key was first used for a different append
    └── UnknownEventTypeStored        a stored event has a type nobody registered

Callers switch on the class; the message is for people.
"""

from __future__ import annotations

__all__ = [
    "EmptyAppend",
    "IdempotencyKeyReused",
    "InvalidAppend",
    "InvalidExpectedVersion",
    "InvalidMetadata",
    "InvalidStreamId",
    "LedgerError",
    "UnknownEventType",
    "UnknownEventTypeStored",
    "UnserialisablePayload",
    "WrongExpectedVersion",
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
