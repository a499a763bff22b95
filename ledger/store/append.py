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

from sqlalchemy import Connection, and_, bindparam, func, insert, select, text, true, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.domain.errors import IdempotencyKeyReused, WrongExpectedVersion
from ledger.store.canonical import canonical_bytes, canonical_template, chain_hash, format_time
from ledger.store.prepare import PreparedAppend
from ledger.store.raw_sqlite import RawSQLite
from ledger.store.records import AppendResult, EventMetadata, RecordedEvent
from ledger.store.tables import appends, events, ledger_head

HEAD_ID = 1


class LockedHead(NamedTuple):
    position: int
    hash: str
    recorded_at: datetime | None


# Statements are built once, so SQLAlchemy compiles each once: nothing is compiled while
# the head is held.
_LOCK_HEAD = (
    select(ledger_head.c.position, ledger_head.c.hash, ledger_head.c.recorded_at)
    .where(ledger_head.c.id == HEAD_ID)
    .with_for_update()
)
_VERSION = (
    select(func.coalesce(func.max(events.c.stream_version), 0).label("version"))
    .where(events.c.stream_id == bindparam("stream_id"))
    .subquery()
)
# The stream's version, and the append this actor already made under this key (if any).
_STATE = select(_VERSION.c.version, appends).select_from(
    _VERSION.outerjoin(
        appends,
        and_(
            appends.c.actor_id == bindparam("actor_id"),
            appends.c.idempotency_key == bindparam("key"),
        ),
    )
)
# SQLite: BEGIN IMMEDIATE already holds the write lock, so the head and the state can be
# read in one statement. (Not on PostgreSQL: a statement that waited for the head's row lock
# still reads the rest from its snapshot taken before the wait.)
_STATE_ROW = _STATE.subquery()
_HEAD_AND_STATE = (
    select(
        ledger_head.c.position.label("head_position"),
        ledger_head.c.hash.label("head_hash"),
        ledger_head.c.recorded_at.label("head_recorded_at"),
        _STATE_ROW,
    )
    .select_from(ledger_head.join(_STATE_ROW, true()))  # one row joined to one row
    .where(ledger_head.c.id == HEAD_ID)
)
_INSERT_EVENTS = insert(events)
_INSERT_APPEND = insert(appends)
_MOVE_HEAD = (
    update(ledger_head)
    .where(ledger_head.c.id == HEAD_ID)
    .values(
        position=bindparam("head_position"),
        hash=bindparam("head_hash"),
        recorded_at=bindparam("head_recorded_at"),
    )
)


async def lock_head(conn: AsyncConnection) -> LockedHead:
    """Take the ledger head for this transaction: from here to commit, nobody else appends."""
    row = (await conn.execute(_LOCK_HEAD)).one()
    return LockedHead(row.position, row.hash, row.recorded_at)


async def write_append(conn: AsyncConnection, prepared: PreparedAppend) -> AppendResult:
    return await conn.run_sync(write_append_sync, prepared)


def write_append_sync(conn: Connection | RawSQLite, prepared: PreparedAppend) -> AppendResult:
    """The append, on a connection in a write transaction (sync: the SQLite writer thread
    calls it directly on its own connection, asyncio callers through ``write_append``)."""
    if isinstance(conn, Connection) and conn.dialect.name == "postgresql":
        return _append_on_server(conn, prepared)
    params = {
        "stream_id": prepared.stream_id,
        "actor_id": prepared.actor.id,
        "key": prepared.idempotency_key,
    }
    state = conn.execute(_HEAD_AND_STATE, params).one()
    head = LockedHead(state.head_position, state.head_hash, state.head_recorded_at)
    if state.idempotency_key is not None:
        if state.fingerprint != prepared.fingerprint:
            raise IdempotencyKeyReused(state.idempotency_key)
        return replayed_answer(state)
    if prepared.expected_version is not None and state.version != prepared.expected_version:
        raise WrongExpectedVersion(prepared.stream_id, prepared.expected_version, state.version)

    # Never earlier than the event before: "as of" a time then agrees with positions.
    now = datetime.now(UTC)
    recorded_at = max(now, head.recorded_at) if head.recorded_at is not None else now
    recorded = _seal(prepared, head.position, head.hash, state.version, recorded_at)
    _write(conn, prepared, recorded)
    return AppendResult(
        stream_id=prepared.stream_id,
        first_position=recorded[0].position,
        last_position=recorded[-1].position,
        first_version=recorded[0].stream_version,
        last_version=recorded[-1].stream_version,
        recorded_at=recorded_at,
        events=tuple(recorded),
    )


# PostgreSQL: the whole append is one call of the server's ``ledger_append`` (migration 0005;
# since 0006 it looks keys up per actor).
_LEDGER_APPEND = text(
    "SELECT * FROM ledger_append(CAST(:stream AS VARCHAR), CAST(:expected AS INTEGER),"
    " CAST(:key AS VARCHAR), CAST(:fingerprint AS VARCHAR), CAST(:actor_id AS VARCHAR),"
    " CAST(:actor_role AS VARCHAR), CAST(:correlation AS VARCHAR),"
    " CAST(:causation AS VARCHAR), CAST(:time_prefix AS TEXT), CAST(:types AS VARCHAR[]),"
    " CAST(:schema_versions AS INTEGER[]), CAST(:payloads AS TEXT[]),"
    " CAST(:before_position AS TEXT[]), CAST(:before_version AS TEXT[]),"
    " CAST(:after_version AS TEXT[]))"
)


def _append_on_server(conn: Connection, prepared: PreparedAppend) -> AppendResult:
    actor = prepared.actor
    metadata = {
        "actor_id": actor.id,
        "actor_role": actor.role,
        "causation_id": prepared.causation_id,
        "correlation_id": prepared.correlation_id,
        "idempotency_key": prepared.idempotency_key,
    }
    templates = [
        canonical_template(
            stream_id=prepared.stream_id,
            event_type=event.type,
            schema_version=event.schema_version,
            payload_json=event.payload_json,
            metadata=metadata,
        )
        for event in prepared.events
    ]
    row = conn.execute(
        _LEDGER_APPEND,
        {
            "stream": prepared.stream_id,
            "expected": prepared.expected_version,
            "key": prepared.idempotency_key,
            "fingerprint": prepared.fingerprint,
            "actor_id": actor.id,
            "actor_role": actor.role,
            "correlation": prepared.correlation_id,
            "causation": prepared.causation_id,
            "time_prefix": templates[0][0],
            "types": [event.type for event in prepared.events],
            "schema_versions": [event.schema_version for event in prepared.events],
            "payloads": [event.payload_json for event in prepared.events],
            "before_position": [parts[1] for parts in templates],
            "before_version": [parts[2] for parts in templates],
            "after_version": [parts[3] for parts in templates],
        },
    ).one()
    if row.outcome == "key_reused":
        raise IdempotencyKeyReused(prepared.idempotency_key or "")
    if row.outcome == "conflict":
        assert prepared.expected_version is not None
        raise WrongExpectedVersion(
            prepared.stream_id, prepared.expected_version, row.actual_version
        )
    if row.outcome == "replayed":
        return replayed_answer(row)
    recorded_at: datetime = row.recorded_at
    event_metadata = EventMetadata(
        recorded_at=recorded_at,
        actor=actor,
        idempotency_key=prepared.idempotency_key,
        correlation_id=prepared.correlation_id,
        causation_id=prepared.causation_id,
    )
    recorded = tuple(
        RecordedEvent(
            position=row.first_position + offset,
            stream_id=prepared.stream_id,
            stream_version=row.first_version + offset,
            type=event.type,
            schema_version=event.schema_version,
            payload=json.loads(event.payload_json),
            metadata=event_metadata,
            hash=digest,
        )
        for offset, (event, digest) in enumerate(zip(prepared.events, row.hashes, strict=True))
    )
    return AppendResult(
        stream_id=prepared.stream_id,
        first_position=row.first_position,
        last_position=row.last_position,
        first_version=row.first_version,
        last_version=row.last_version,
        recorded_at=recorded_at,
        events=recorded,
    )


def replayed_answer(state: Any) -> AppendResult:
    """The first answer to an idempotent request, from its ``appends`` row (or the server's
    answer, which has the same names)."""
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


def _write(
    conn: Connection | RawSQLite, prepared: PreparedAppend, recorded: Sequence[RecordedEvent]
) -> None:
    rows = [
        _event_row(event, source.payload_json)
        for event, source in zip(recorded, prepared.events, strict=True)
    ]
    first, last = recorded[0], recorded[-1]
    head = {
        "head_position": last.position,
        "head_hash": last.hash,
        "head_recorded_at": last.metadata.recorded_at,
    }
    conn.execute(_INSERT_EVENTS, rows)
    if prepared.idempotency_key is not None:
        conn.execute(
            _INSERT_APPEND,
            [
                {
                    "actor_id": prepared.actor.id,
                    "idempotency_key": prepared.idempotency_key,
                    "fingerprint": prepared.fingerprint,
                    "stream_id": prepared.stream_id,
                    "first_position": first.position,
                    "last_position": last.position,
                    "first_version": first.stream_version,
                    "last_version": last.stream_version,
                    "recorded_at": last.metadata.recorded_at,
                }
            ],
        )
    conn.execute(_MOVE_HEAD, head)


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
