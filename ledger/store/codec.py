"""The one way back from a stored row to an event: parse, refuse unknown types, upcast.

Every reader of the log decodes through here (the store's reads, the replay's windows), so an
event reads back the same whichever path loaded it.
"""

from __future__ import annotations

import json
from typing import Any

from ledger.domain.errors import UnknownEventTypeStored
from ledger.domain.events import EventRegistry, Payload
from ledger.store.records import Actor, EventMetadata, RecordedEvent

__all__ = ["current_payload", "decode_row"]


def current_payload(
    registry: EventRegistry, event_type: str, schema_version: int, payload: Payload, position: int
) -> tuple[Payload, int]:
    """A stored payload (parsed JSON) lifted to its type's current shape, with that shape's
    version. A type the registry does not know is refused, naming the event's position."""
    if not registry.is_known(event_type):
        raise UnknownEventTypeStored(event_type, position)
    return registry.upcast(event_type, schema_version, payload)


def decode_row(registry: EventRegistry, row: Any) -> RecordedEvent:
    """A row of the ``events`` table (anything with its column names as attributes) as a
    recorded event, its payload upcast to its type's current shape."""
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
