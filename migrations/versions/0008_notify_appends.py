"""PostgreSQL: ``ledger_append`` notifies ``ledger_appended`` with what it appended.

Every process serving the ledger LISTENs on ``ledger_appended`` to learn of new positions
without reading the log on each request (``ledger.read.listened``). The payload is
``"<first position> <last position> <stream id>"``; PostgreSQL delivers it only when the
append's transaction commits, in commit order, so a rolled-back append is never announced.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNATURE = (
    "ledger_append(varchar, integer, varchar, varchar, varchar, varchar, varchar, varchar,"
    " text, varchar[], integer[], text[], text[], text[], text[])"
)

# 0006's function with one change: pg_notify after the head moves.
CREATE = r"""
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


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION {SIGNATURE}")
        op.execute(CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION {SIGNATURE}")
        op.execute(_previous_function())


def _previous_function() -> str:
    """0006's ``ledger_append``, from 0006 itself (one definition of it)."""
    previous = importlib.import_module("migrations.versions.0006_idempotency_per_actor")
    text: str = previous.CREATE
    return text
