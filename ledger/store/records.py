"""The store's value types: what goes into an append and what comes out of a read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ledger.domain.events import DomainEvent

__all__ = ["Actor", "AppendResult", "ChainReport", "EventMetadata", "NewEvent", "RecordedEvent"]


@dataclass(frozen=True)
class Actor:
    """Who caused an event: a principal id and the role they acted in."""

    id: str
    role: str


@dataclass(frozen=True)
class NewEvent:
    """An event about to be appended: a registered type name and a JSON payload."""

    type: str
    payload: Mapping[str, Any]
    schema_version: int | None = None

    @classmethod
    def of(cls, event: DomainEvent) -> NewEvent:
        return cls(event.type_name, event.to_payload(), event.schema_version)


@dataclass(frozen=True)
class EventMetadata:
    recorded_at: datetime
    actor: Actor
    idempotency_key: str | None
    correlation_id: str
    causation_id: str | None


@dataclass(frozen=True)
class RecordedEvent:
    """A stored event, its payload lifted to the current shape of its type."""

    position: int
    stream_id: str
    stream_version: int
    type: str
    schema_version: int
    payload: Mapping[str, Any]
    metadata: EventMetadata
    hash: str


@dataclass(frozen=True)
class AppendResult:
    """Where an append landed. ``replayed`` is true when an idempotency key matched."""

    stream_id: str
    first_position: int
    last_position: int
    first_version: int
    last_version: int
    recorded_at: datetime
    replayed: bool = False
    events: tuple[RecordedEvent, ...] = field(default=(), compare=False)
    # The domain ids of what was appended: a store knows streams, not articles, and leaves
    # them None; the runner sets them as the command names them (``DomainIds`` in
    # ``ledger.use_cases.runner``), so no caller takes a stream id or a payload apart.
    article_id: str | None = None
    rating_id: str | None = None
    comment_id: str | None = None
    rater_id: str | None = None


@dataclass(frozen=True)
class ChainReport:
    """The result of recomputing the hash chain from position 1 to the head."""

    ok: bool
    checked_events: int
    head_position: int
    head_hash: str
    first_broken_position: int | None = None
    reason: str | None = None
