"""The write path of an append, run inside a write transaction.

Order matters: the caller's work and all validation come first; the ledger head is locked
last, and only then are the stream version and idempotency key checked, because only
under the lock is "nobody else can append now" true. Positions are taken from the head,
so they are dense, and the lock is held to commit, so they become visible in order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import Row, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger._prepare import PreparedAppend
from ledger.canonical import canonical_bytes, chain_hash, format_time
from ledger.errors import IdempotencyKeyReused, WrongExpectedVersion
from ledger.records import AppendResult, EventMetadata, RecordedEvent
from ledger.tables import appends, events, ledger_head

HEAD_ID = 1


class LockedHead(NamedTuple):
    position: int
    hash: str
    recorded_at: datetime | None


async def lock_head(conn: AsyncConnection) -> LockedHead:
    """Take the ledger head for this transaction: from here to commit, nobody else appends."""
    row = (
        await conn.execute(
            select(ledger_head.c.position, ledger_head.c.hash, ledger_head.c.recorded_at)
            .where(ledger_head.c.id == HEAD_ID)
            .with_for_update()
        )
    ).one()
    return LockedHead(row.position, row.hash, row.recorded_at)


async def write_append(conn: AsyncConnection, prepared: PreparedAppend) -> AppendResult:
    head = await lock_head(conn)
    state = (await conn.execute(_current_state(prepared))).one()
    if state.idempotency_key is not None:
        if state.fingerprint != prepared.fingerprint:
            raise IdempotencyKeyReused(state.idempotency_key)
        return _replayed(state)
    if prepared.expected_version is not None and state.version != prepared.expected_version:
        raise WrongExpectedVersion(prepared.stream_id, prepared.expected_version, state.version)

    # Never earlier than the event before: "as of" a time then agrees with positions.
    now = datetime.now(UTC)
    recorded_at = max(now, head.recorded_at) if head.recorded_at is not None else now
    recorded = _seal(prepared, head.position, head.hash, state.version, recorded_at)
    await _write(conn, prepared, recorded)
    return AppendResult(
        stream_id=prepared.stream_id,
        first_position=recorded[0].position,
        last_position=recorded[-1].position,
        first_version=recorded[0].stream_version,
        last_version=recorded[-1].stream_version,
        recorded_at=recorded_at,
        events=tuple(recorded),
    )


def _current_state(prepared: PreparedAppend) -> Any:
    """One statement: the stream's version, and the append already made under this key."""
    version = (
        select(func.coalesce(func.max(events.c.stream_version), 0).label("version"))
        .where(events.c.stream_id == prepared.stream_id)
        .subquery()
    )
    key = prepared.idempotency_key
    on = appends.c.idempotency_key == (literal(key) if key is not None else None)
    return select(version.c.version, appends).select_from(version.outerjoin(appends, on))


def _replayed(state: Row[Any]) -> AppendResult:
    return AppendResult(
        stream_id=state.stream_id,
        first_position=state.first_position,
        last_position=state.last_position,
        first_version=state.first_version,
        last_version=state.last_version,
        recorded_at=state.recorded_at,
        replayed=True,
    )


def _seal(
    prepared: PreparedAppend,
    head_position: int,
    head_hash: str,
    stream_version: int,
    recorded_at: datetime,
) -> list[RecordedEvent]:
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


async def _write(
    conn: AsyncConnection, prepared: PreparedAppend, recorded: Sequence[RecordedEvent]
) -> None:
    rows = [
        _event_row(event, source.payload_json)
        for event, source in zip(recorded, prepared.events, strict=True)
    ]
    last = recorded[-1]
    head_values = {
        "position": last.position,
        "hash": last.hash,
        "recorded_at": last.metadata.recorded_at,
    }
    append_row = None
    if prepared.idempotency_key is not None:
        append_row = {
            "idempotency_key": prepared.idempotency_key,
            "fingerprint": prepared.fingerprint,
            "stream_id": prepared.stream_id,
            "first_position": recorded[0].position,
            "last_position": last.position,
            "first_version": recorded[0].stream_version,
            "last_version": last.stream_version,
            "recorded_at": last.metadata.recorded_at,
        }
    move_head = update(ledger_head).where(ledger_head.c.id == HEAD_ID).values(**head_values)
    if conn.dialect.name == "postgresql":
        # One round trip while the lock is held: data-modifying CTEs run even unreferenced.
        move_head = move_head.add_cte(insert(events).values(rows).cte("new_events"))
        if append_row is not None:
            move_head = move_head.add_cte(insert(appends).values(append_row).cte("new_append"))
        await conn.execute(move_head)
        return
    await conn.execute(insert(events), rows)
    if append_row is not None:
        await conn.execute(insert(appends), [append_row])
    await conn.execute(move_head)


def _event_row(event: RecordedEvent, payload_json: str) -> dict[str, Any]:
    return {
        "position": event.position,
        "stream_id": event.stream_id,
        "stream_version": event.stream_version,
        "event_type": event.type,
        "schema_version": event.schema_version,
        "payload": payload_json,
        "recorded_at": event.metadata.recorded_at,
        "actor_id": event.metadata.actor.id,
        "actor_role": event.metadata.actor.role,
        "idempotency_key": event.metadata.idempotency_key,
        "correlation_id": event.metadata.correlation_id,
        "causation_id": event.metadata.causation_id,
        "hash": event.hash,
    }
