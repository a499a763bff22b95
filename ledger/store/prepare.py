"""Checks and serialisation done before an append takes the head lock.

Everything that can refuse an append without looking at the database happens here, so a
bad request never waits for, or holds, the lock.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.domain.errors import (
    EmptyAppend,
    InvalidExpectedVersion,
    InvalidMetadata,
    InvalidStreamId,
    UnknownEventType,
    UnserialisablePayload,
)
from ledger.domain.events import EventRegistry
from ledger.domain.validation import unstorable
from ledger.store.canonical import canonical_json
from ledger.store.records import Actor, NewEvent

MAX_EVENTS_PER_APPEND = 1000
_STREAM_ID = re.compile(r"[a-z][a-z0-9_]{0,30}:[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_MAX_TEXT = 200


@dataclass(frozen=True)
class PreparedEvent:
    type: str
    schema_version: int
    payload_json: str


@dataclass(frozen=True)
class PreparedAppend:
    stream_id: str
    expected_version: int | None
    events: tuple[PreparedEvent, ...]
    actor: Actor
    idempotency_key: str | None
    correlation_id: str
    causation_id: str | None
    fingerprint: str


# PostgreSQL can hold no NUL character in text or JSON; SQLite could. Refused on both, so the
# backends behave alike. In canonical JSON a NUL is the escape \u0000 after an even number of
# backslashes (an odd number is a literal backslash followed by the text "u0000").
_ESCAPED_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def prepare_append(
    registry: EventRegistry,
    stream_id: object,
    expected_version: object,
    events: Sequence[NewEvent],
    *,
    actor: Actor,
    idempotency_key: str | None,
    correlation_id: str,
    causation_id: str | None,
    fingerprint: str | None = None,
) -> PreparedAppend:
    if not isinstance(stream_id, str) or not _STREAM_ID.fullmatch(stream_id):
        raise InvalidStreamId(stream_id)
    if expected_version is not None and (
        isinstance(expected_version, bool)
        or not isinstance(expected_version, int)
        or expected_version < 0
    ):
        raise InvalidExpectedVersion(expected_version)
    if not events:
        raise EmptyAppend()
    if len(events) > MAX_EVENTS_PER_APPEND:
        raise InvalidMetadata("events", f"at most {MAX_EVENTS_PER_APPEND} events per append")
    _check_text("actor id", actor.id)
    _check_text("actor role", actor.role)
    _check_text("correlation id", correlation_id)
    if idempotency_key is not None:
        _check_text("idempotency key", idempotency_key)
    if causation_id is not None:
        _check_text("causation id", causation_id)
    prepared = tuple(_prepare_event(registry, event) for event in events)
    return PreparedAppend(
        stream_id=stream_id,
        expected_version=expected_version,
        events=prepared,
        actor=actor,
        idempotency_key=idempotency_key,
        correlation_id=correlation_id,
        causation_id=causation_id,
        fingerprint=fingerprint or _fingerprint(stream_id, prepared),
    )


def _prepare_event(registry: EventRegistry, event: NewEvent) -> PreparedEvent:
    if not isinstance(event.type, str) or not registry.is_known(event.type):
        raise UnknownEventType(str(event.type))
    if not isinstance(event.payload, dict):
        raise UnserialisablePayload(event.type, "the payload must be a JSON object")
    try:
        payload_json = canonical_json(event.payload)
        # A lone surrogate has no UTF-8 form: it could be neither hashed nor stored.
        payload_json.encode()
    except (TypeError, ValueError, RecursionError) as error:
        raise UnserialisablePayload(event.type, str(error)) from None
    if "\\u0000" in payload_json and _ESCAPED_NUL.search(payload_json):
        raise UnserialisablePayload(event.type, "text must not contain the NUL character")
    version = event.schema_version or registry.current_version(event.type)
    return PreparedEvent(event.type, version, payload_json)


def _check_text(field: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidMetadata(field, "must be a non-empty string")
    if len(value) > _MAX_TEXT:
        raise InvalidMetadata(field, f"must be at most {_MAX_TEXT} characters")
    reason = unstorable(value)
    if reason is not None:
        raise InvalidMetadata(field, reason)


def _fingerprint(stream_id: str, events: tuple[PreparedEvent, ...]) -> str:
    """What makes a retry 'the same append': its stream and its events, not its timing."""
    digest = hashlib.sha256(stream_id.encode())
    for event in events:
        digest.update(b"\x00" + event.type.encode() + b"\x00" + str(event.schema_version).encode())
        digest.update(b"\x00" + event.payload_json.encode())
    return digest.hexdigest()
