"""Stored events read back: one decoder for the store's reads and for a replay's.

A stored row carries its type's name, the version of the payload's shape when it was written,
and the payload. Reading it back always goes the same way: a type the registry does not know
is refused, naming its position (never skipped: a view built without it would be wrong),
and the payload is lifted by the type's upcasters to its current shape. The store makes a
``RecordedEvent`` of it (``decode_record``); a replay, which shows no metadata, only the
domain event (``decode_event``).
"""

from __future__ import annotations

import json
from typing import Any

from ledger.domain.errors import UnknownEventTypeStored
from ledger.domain.events import DomainEvent, EventRegistry, Payload
from ledger.store.records import Actor, EventMetadata, RecordedEvent

__all__ = ["current_payload", "decode_event", "decode_record"]


def current_payload(
    registry: EventRegistry, event_type: str, schema_version: int, payload: Payload, position: int
) -> tuple[Payload, int]:
    """The stored ``payload`` in its type's current shape, and that shape's version."""
    if not registry.is_known(event_type):
        raise UnknownEventTypeStored(event_type, position)
    return registry.upcast(event_type, schema_version, payload)


def decode_event(
    registry: EventRegistry, event_type: str, schema_version: int, payload: Payload, position: int
) -> DomainEvent:
    """The domain event of a stored event (its payload already parsed from JSON)."""
    current, _ = current_payload(registry, event_type, schema_version, payload, position)
    return registry.decode(event_type, current)


def decode_record(registry: EventRegistry, row: Any) -> RecordedEvent:
    """A row of the events table (any object with its columns as attributes) as a
    ``RecordedEvent``, its payload in its type's current shape."""
    payload, version = current_payload(
        registry, row.event_type, row.schema_version, json.loads(row.payload), row.position
    )
    return RecordedEvent(
        position=row.position,
        stream_id=row.stream_id,
        stream_version=row.stream_version,
        type=row.event_type,
        schema_version=version,
        payload=payload,
        metadata=EventMetadata(
            recorded_at=row.recorded_at,
            actor=Actor(row.actor_id, row.actor_role),
            idempotency_key=row.idempotency_key,
            correlation_id=row.correlation_id,
            causation_id=row.causation_id,
        ),
        hash=row.hash,
    )
