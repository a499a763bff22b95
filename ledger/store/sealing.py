"""Sealing events into the hash chain, and the answers an append gives.

Shared by every store that computes the chain in Python (SQLite's write path, the in-memory
store); PostgreSQL's ``ledger_append`` computes the same chain on the server from the same
canonical bytes (``ledger.store.canonical``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ledger.store.canonical import canonical_bytes, canonical_json, chain_hash, format_time
from ledger.store.prepare import PreparedAppend
from ledger.store.records import AppendResult, EventMetadata, RecordedEvent

__all__ = ["appended", "metadata_document", "record_bytes", "replayed_answer", "seal"]


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


def record_bytes(event: RecordedEvent) -> bytes:
    """The canonical bytes of a recorded event, as it was hashed (for an event read in the
    shape it was stored in: an upcast payload is not what was hashed)."""
    return canonical_bytes(
        position=event.position,
        stream_id=event.stream_id,
        stream_version=event.stream_version,
        event_type=event.type,
        schema_version=event.schema_version,
        payload_json=canonical_json(event.payload),
        metadata=metadata_document(event.metadata),
    )


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


def replayed_answer(state: Any) -> AppendResult:
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
