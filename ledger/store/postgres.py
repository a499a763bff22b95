"""Everything PostgreSQL does its own way: its engine, snapshots, one migration at a time, and
the append, which is one call of the server's ``ledger_append`` function.

``LEDGER_APPEND_FUNCTION`` is the function the database runs. Under the head's row lock it
checks the idempotency key (per actor) and the stream version, stamps the time, seals the
events into the hash chain, writes the events, the idempotent append and the head, and notifies
``ledger_appended`` (delivered on commit to every process listening: ``ledger.read.listened``):
one round trip instead of one per step. Called alone (autocommit), the head is held only while
the server works, never across the network; inside a use case's transaction it is held to that
transaction's commit. The canonical bytes come from Python as a template (the text around the
time, the position and the stream version, from ``ledger.store.canonical``); the function only
fills in those three and hashes, so the bytes have one definition. Under READ COMMITTED (the
engine pins it), every statement in a PL/pgSQL function takes a fresh snapshot, so what it
reads after the lock is what the previous holder committed.

Migrations keep frozen copies of the function as they created it (0005, 0006, then 0008); a test
proves this text is the newest migration's, so a change here needs a migration that installs it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from ledger.domain.errors import IdempotencyKeyReused, WrongExpectedVersion
from ledger.store.canonical import canonical_template
from ledger.store.prepare import PreparedAppend
from ledger.store.records import AppendResult, EventMetadata, RecordedEvent
from ledger.store.sealing import replayed_answer

__all__ = [
    "LEDGER_APPEND_FUNCTION",
    "LEDGER_APPEND_SIGNATURE",
    "create_postgres_engine",
    "one_migration_at_a_time",
    "postgres_appender",
    "repeatable_read",
    "statements_alone",
    "write_append_sync",
]

LEDGER_APPEND_SIGNATURE = (
    "ledger_append(varchar, integer, varchar, varchar, varchar, varchar, varchar, varchar,"
    " text, varchar[], integer[], text[], text[], text[], text[])"
)

# The function as the newest migration installs it (0008: notifies ``ledger_appended``).
LEDGER_APPEND_FUNCTION = r"""
CREATE FUNCTION ledger_append(
    p_stream varchar, p_expected integer, p_key varchar, p_fingerprint varchar,
    p_actor_id varchar, p_actor_role varchar, p_correlation varchar, p_causation varchar,
    p_time_prefix text, p_types varchar[], p_schema_versions integer[], p_payloads text[],
    p_before_position text[], p_before_version text[], p_after_version text[]
) RETURNS TABLE (
    outcome text, actual_version integer, first_position bigint, last_position bigint,
    first_version integer, last_version integer, recorded_at timestamptz, hashes text[],
    stream_id varchar
) LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    head_position bigint;
    head_hash varchar;
    head_recorded timestamptz;
    current_version integer;
    stamp timestamptz;
    stamp_text text;
    previous text;
    n integer := cardinality(p_types);
    positions bigint[] := '{}';
    versions integer[] := '{}';
    chain text[] := '{}';
    done appends%ROWTYPE;
BEGIN
    SELECT h.position, h.hash, h.recorded_at INTO head_position, head_hash, head_recorded
      FROM ledger_head AS h WHERE h.id = 1 FOR UPDATE;
    IF p_key IS NOT NULL THEN
        SELECT * INTO done FROM appends AS a
         WHERE a.actor_id = p_actor_id AND a.idempotency_key = p_key;
        IF FOUND THEN
            RETURN QUERY SELECT
                CASE WHEN done.fingerprint = p_fingerprint THEN 'replayed' ELSE 'key_reused' END,
                NULL::integer, done.first_position, done.last_position, done.first_version,
                done.last_version, done.recorded_at, NULL::text[], done.stream_id;
            RETURN;
        END IF;
    END IF;
    SELECT coalesce(max(e.stream_version), 0) INTO current_version
      FROM events AS e WHERE e.stream_id = p_stream;
    IF p_expected IS NOT NULL AND current_version <> p_expected THEN
        RETURN QUERY SELECT 'conflict', current_version, NULL::bigint, NULL::bigint,
            NULL::integer, NULL::integer, NULL::timestamptz, NULL::text[], p_stream;
        RETURN;
    END IF;
    -- Never earlier than the event before: "as of" a time then agrees with positions.
    stamp := greatest(date_trunc('microseconds', clock_timestamp()), head_recorded);
    stamp_text := to_char(stamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
    previous := head_hash;
    FOR i IN 1 .. n LOOP
        positions[i] := head_position + i;
        versions[i] := current_version + i;
        previous := encode(sha256(decode(previous, 'hex') || convert_to(
            p_time_prefix || stamp_text || p_before_position[i] || (head_position + i)::text
            || p_before_version[i] || (current_version + i)::text || p_after_version[i],
            'UTF8')), 'hex');
        chain[i] := previous;
    END LOOP;
    INSERT INTO events (position, stream_id, stream_version, event_type, schema_version,
                        payload, recorded_at, actor_id, actor_role, idempotency_key,
                        correlation_id, causation_id, hash)
    SELECT u.position, p_stream, u.version, u.event_type, u.schema_version, u.payload, stamp,
           p_actor_id, p_actor_role, p_key, p_correlation, p_causation, u.hash
      FROM unnest(positions, versions, p_types, p_schema_versions, p_payloads, chain)
           AS u(position, version, event_type, schema_version, payload, hash);
    IF p_key IS NOT NULL THEN
        INSERT INTO appends (actor_id, idempotency_key, fingerprint, stream_id, first_position,
                             last_position, first_version, last_version, recorded_at)
        VALUES (p_actor_id, p_key, p_fingerprint, p_stream, head_position + 1,
                head_position + n, current_version + 1, current_version + n, stamp);
    END IF;
    UPDATE ledger_head AS h SET position = head_position + n, hash = previous,
                                recorded_at = stamp WHERE h.id = 1;
    -- Delivered to every listener when (and only if) the transaction commits: the
    -- positions appended and their stream, so a process learns them without a read.
    PERFORM pg_notify('ledger_appended', (head_position + 1)::text || ' '
        || (head_position + n)::text || ' ' || p_stream);
    RETURN QUERY SELECT 'appended', current_version, head_position + 1, head_position + n,
        current_version + 1, current_version + n, stamp, chain, p_stream;
END
$$
"""


# The call of ``ledger_append``, every argument cast to the function's signature.
_LEDGER_APPEND = text(
    "SELECT * FROM ledger_append(CAST(:stream AS VARCHAR), CAST(:expected AS INTEGER),"
    " CAST(:key AS VARCHAR), CAST(:fingerprint AS VARCHAR), CAST(:actor_id AS VARCHAR),"
    " CAST(:actor_role AS VARCHAR), CAST(:correlation AS VARCHAR),"
    " CAST(:causation AS VARCHAR), CAST(:time_prefix AS TEXT), CAST(:types AS VARCHAR[]),"
    " CAST(:schema_versions AS INTEGER[]), CAST(:payloads AS TEXT[]),"
    " CAST(:before_position AS TEXT[]), CAST(:before_version AS TEXT[]),"
    " CAST(:after_version AS TEXT[]))"
)

_ONE_MIGRATION_AT_A_TIME = text("SELECT pg_advisory_xact_lock(1296648018, 0)")  # "MIGR", 0


def create_postgres_engine(url: URL, *, echo: bool, pool_size: int) -> AsyncEngine:
    engine = create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        # Pinned whatever the server's default: ledger_append and the write path read what
        # the previous head holder committed, which READ COMMITTED guarantees after the lock.
        isolation_level="READ COMMITTED",
    )
    # No pre-ping: it costs a round trip per checkout. Connections the server ended are
    # found without one: at checkout (``_open_or_replaced``), and by the statement that meets
    # one (SQLAlchemy asks asyncpg whether the connection is closed, and then lets it go with
    # every connection as old).
    event.listen(engine.sync_engine, "checkout", _open_or_replaced)
    return engine


def _open_or_replaced(
    dbapi_connection: Any, record: ConnectionPoolEntry, proxy: PoolProxiedConnection
) -> None:
    """A connection the server ended while it sat in the pool (a restart, an administrator's
    ``pg_terminate_backend``) is closed as far as asyncpg knows once the event loop has read
    the end: the pool replaces it on checkout (SQLAlchemy's answer to a
    ``DisconnectionError`` here), for the price of a flag's check."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server ended this connection while it was in the pool")


def statements_alone(engine: AsyncEngine) -> AsyncEngine:
    """The engine (the same pool) in autocommit: no BEGIN before a statement, no ROLLBACK or
    COMMIT after it; each statement is its own transaction."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


async def read_committed(conn: AsyncConnection) -> None:
    """A write transaction needs nothing more: the row lock on the head serialises appenders."""


async def repeatable_read(conn: AsyncConnection) -> None:
    """A snapshot: REPEATABLE READ sees one moment of the database from its first read on."""
    await conn.execution_options(isolation_level="REPEATABLE READ")


async def one_migration_at_a_time(conn: AsyncConnection) -> None:
    """In a migration's transaction: a transaction-long advisory lock, so migrations started
    at once run one after the other, the second finding the schema at head."""
    await conn.execute(_ONE_MIGRATION_AT_A_TIME)


def postgres_appender(
    engine: AsyncEngine, in_transaction: Callable[[PreparedAppend], Awaitable[AppendResult]]
) -> Callable[[PreparedAppend], Awaitable[AppendResult]]:
    """An append alone is one statement (``ledger_append``), atomic by itself: without BEGIN
    and COMMIT around it, it is one round trip."""
    autocommit = statements_alone(engine)

    async def append(prepared: PreparedAppend) -> AppendResult:
        async with autocommit.connect() as conn:
            return await conn.run_sync(write_append_sync, prepared)

    return append


def write_append_sync(conn: Connection, prepared: PreparedAppend) -> AppendResult:
    """The append, on a connection in a transaction (or autocommit): one ``ledger_append``."""
    row = conn.execute(_LEDGER_APPEND, _arguments(prepared)).one()
    if row.outcome == "key_reused":
        raise IdempotencyKeyReused(prepared.idempotency_key or "")
    if row.outcome == "conflict":
        assert prepared.expected_version is not None
        raise WrongExpectedVersion(
            prepared.stream_id, prepared.expected_version, row.actual_version
        )
    if row.outcome == "replayed":
        return replayed_answer(row)
    return AppendResult(
        stream_id=prepared.stream_id,
        first_position=row.first_position,
        last_position=row.last_position,
        first_version=row.first_version,
        last_version=row.last_version,
        recorded_at=row.recorded_at,
        events=_recorded(prepared, row),
    )


def _arguments(prepared: PreparedAppend) -> dict[str, Any]:
    """``ledger_append``'s arguments: the events, and the canonical text around what only the
    server knows (the time, each position and version)."""
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
    return {
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
    }


def _recorded(prepared: PreparedAppend, row: Any) -> tuple[RecordedEvent, ...]:
    """The events as the server stored them, from its answer."""
    recorded_at: datetime = row.recorded_at
    metadata = EventMetadata(
        recorded_at=recorded_at,
        actor=prepared.actor,
        idempotency_key=prepared.idempotency_key,
        correlation_id=prepared.correlation_id,
        causation_id=prepared.causation_id,
    )
    hashes: Sequence[str] = row.hashes
    return tuple(
        RecordedEvent(
            position=row.first_position + offset,
            stream_id=prepared.stream_id,
            stream_version=row.first_version + offset,
            type=event.type,
            schema_version=event.schema_version,
            payload=json.loads(event.payload_json),
            metadata=metadata,
            hash=digest,
        )
        for offset, (event, digest) in enumerate(zip(prepared.events, hashes, strict=True))
    )
