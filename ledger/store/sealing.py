"""The append's decision, sealing events into the hash chain, and the answers an append gives.

Shared by every store that decides in Python (SQLite's write path, the in-memory store):
``decide_append`` is the one statement of the rule. PostgreSQL's ``ledger_append`` decides the
same on the server, in SQL, from the same canonical bytes (``ledger.store.canonical``); its
answers are read back with ``replayed_answer`` as here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from ledger.domain.errors import IdempotencyKeyReused, WrongExpectedVersion
from ledger.store.canonical import canonical_bytes, chain_hash, format_time
from ledger.store.event_store import Head
from ledger.store.prepare import PreparedAppend
from ledger.store.records import AppendResult, EventMetadata, RecordedEvent

__all__ = [
    "KeyedAppend",
    "appended",
    "decide_append",
    "metadata_document",
    "replay_of",
    "replayed_answer",
    "seal",
]


class KeyedAppend(Protocol):
    """An append made under an idempotency key, as kept: the ``appends`` table's columns."""

    @property
    def fingerprint(self) -> str: ...
    @property
    def stream_id(self) -> str: ...
    @property
    def first_position(self) -> int: ...
    @property
    def last_position(self) -> int: ...
    @property
    def first_version(self) -> int: ...
    @property
    def last_version(self) -> int: ...
    @property
    def recorded_at(self) -> datetime: ...


def decide_append(
    prepared: PreparedAppend,
    *,
    head: Head,
    stream_version: int,
    keyed: KeyedAppend | None,
    now: datetime,
) -> AppendResult:
    """Whether and where ``prepared`` is appended, decided on the state read under the head
    (nobody else appends until the caller commits): the first answer again (``replayed``,
    nothing to write) when its actor already used its key; refused when the stream is no
    longer at the expected version; else its events sealed after the head, for the caller
    to write as they are."""
    if keyed is not None:
        assert prepared.idempotency_key is not None, "only a keyed append finds its key"
        return replay_of(keyed, prepared.idempotency_key, prepared.fingerprint)
    expected = prepared.expected_version
    if expected is not None and stream_version != expected:
        raise WrongExpectedVersion(prepared.stream_id, expected, stream_version)
    # Never earlier than the event before: "as of" a time then agrees with positions.
    recorded_at = max(now, head.recorded_at) if head.recorded_at is not None else now
    recorded = seal(prepared, head.position, head.hash, stream_version, recorded_at)
    return appended(prepared.stream_id, recorded)


def replay_of(keyed: KeyedAppend, idempotency_key: str, fingerprint: str | None) -> AppendResult:
    """The first answer to a request retried under its key; a key first used for another
    request (another ``fingerprint``) is refused. Without a fingerprint, any use matches."""
    if fingerprint is not None and keyed.fingerprint != fingerprint:
        raise IdempotencyKeyReused(idempotency_key)
    return replayed_answer(keyed)


def metadata_document(metadata: EventMetadata) -> dict[str, Any]:
    """The metadata object as it appears in the canonical bytes."""
    return {
        "actor_id": metadata.actor.id,
        "actor_role": metadata.actor.role,
        "causation_id": metadata.causation_id,
        "correlation_id": metadata.correlation_id,
        "idempotency_key": metadata.idempotency_key,
        "recorded_at": format_time(metadata.recorded_at),
    }


def seal(
    prepared: PreparedAppend,
    head_position: int,
    head_hash: str,
    stream_version: int,
    recorded_at: datetime,
) -> list[RecordedEvent]:
    """The prepared events as they will be stored after the head: positions and versions
    following on, each hash chained to the one before (the first to the head's)."""
    metadata = EventMetadata(
        recorded_at=recorded_at,
        actor=prepared.actor,
        idempotency_key=prepared.idempotency_key,
        correlation_id=prepared.correlation_id,
        causation_id=prepared.causation_id,
    )
    canonical_metadata = metadata_document(metadata)
    sealed: list[RecordedEvent] = []
    previous = head_hash
    for offset, event in enumerate(prepared.events, start=1):
        position = head_position + offset
        version = stream_version + offset
        digest = chain_hash(
            previous,
            canonical_bytes(
                position=position,
                stream_id=prepared.stream_id,
                stream_version=version,
                event_type=event.type,
                schema_version=event.schema_version,
                payload_json=event.payload_json,
                metadata=canonical_metadata,
            ),
        )
        sealed.append(
            RecordedEvent(
                position=position,
                stream_id=prepared.stream_id,
                stream_version=version,
                type=event.type,
                schema_version=event.schema_version,
                payload=json.loads(event.payload_json),
                metadata=metadata,
                hash=digest,
            )
        )
        previous = digest
    return sealed


def appended(stream_id: str, recorded: Sequence[RecordedEvent]) -> AppendResult:
    """The answer to an append that wrote ``recorded`` (one or more events)."""
    first, last = recorded[0], recorded[-1]
    return AppendResult(
        stream_id=stream_id,
        first_position=first.position,
        last_position=last.position,
        first_version=first.stream_version,
        last_version=last.stream_version,
        recorded_at=last.metadata.recorded_at,
        events=tuple(recorded),
    )


def replayed_answer(state: KeyedAppend) -> AppendResult:
    """The first answer to an idempotent request, from its ``appends`` row (or anything with
    the same names: PostgreSQL's answer, the in-memory store's record)."""
    return AppendResult(
        stream_id=state.stream_id,
        first_position=state.first_position,
        last_position=state.last_position,
        first_version=state.first_version,
        last_version=state.last_version,
        recorded_at=state.recorded_at,
        replayed=True,
    )
