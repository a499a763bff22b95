"""evidence-ledger's core: an append-only, hash-chained event ledger and its domain.

Imports nothing from the API layer; the pure domain modules import only the standard library.
"""

from ledger.errors import (
    EmptyAppend,
    IdempotencyKeyReused,
    InvalidAppend,
    InvalidExpectedVersion,
    InvalidMetadata,
    InvalidStreamId,
    LedgerError,
    UnknownEventType,
    UnknownEventTypeStored,
    UnserialisablePayload,
    WrongExpectedVersion,
)
from ledger.records import (
    Actor,
    AppendResult,
    ChainReport,
    EventMetadata,
    NewEvent,
    RecordedEvent,
)
from ledger.store import EventStore, Head, LedgerTransaction

__all__ = [
    "Actor",
    "AppendResult",
    "ChainReport",
    "EmptyAppend",
    "EventMetadata",
    "EventStore",
    "Head",
    "IdempotencyKeyReused",
    "InvalidAppend",
    "InvalidExpectedVersion",
    "InvalidMetadata",
    "InvalidStreamId",
    "LedgerError",
    "LedgerTransaction",
    "NewEvent",
    "RecordedEvent",
    "UnknownEventType",
    "UnknownEventTypeStored",
    "UnserialisablePayload",
    "WrongExpectedVersion",
]
