"""Recomputing the hash chain from the stored rows, as an auditor would."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.store.canonical import GENESIS_HASH, canonical_bytes, canonical_json, chain_hash
from ledger.store.db import snapshot
from ledger.store.records import Actor, ChainReport, EventMetadata
from ledger.store.sealing import metadata_document
from ledger.store.tables import events, ledger_head

__all__ = ["row_bytes", "verify_chain"]

PAGE = 5000


def row_bytes(row: Row[Any], *, check_payload: bool = True) -> bytes:
    """The canonical bytes of a stored row, re-derived from its columns.

    The stored payload text is what was hashed; it must also still be the canonical
    spelling of itself, so a rewrite into other JSON of the same meaning (or with a
    duplicated key that some parsers would read differently) is caught as well. An export
    skips that check (it is the costly part): whoever verifies the file makes it anyway.
    """
    metadata = EventMetadata(
        recorded_at=row.recorded_at,
        actor=Actor(row.actor_id, row.actor_role),
        idempotency_key=row.idempotency_key,
        correlation_id=row.correlation_id,
        causation_id=row.causation_id,
    )
    return canonical_bytes(
        position=row.position,
        stream_id=row.stream_id,
        stream_version=row.stream_version,
        event_type=row.event_type,
        schema_version=row.schema_version,
        payload_json=_canonical_payload(row.payload) if check_payload else row.payload,
        metadata=metadata_document(metadata),
    )


def _canonical_payload(text: str) -> str:
    if canonical_json(json.loads(text)) != text:
        raise ValueError("the stored payload is not in canonical form")
    return text


async def verify_chain(
    engine: AsyncEngine, *, progress: Callable[[int], None] | None = None
) -> ChainReport:
    """Walk every event in position order; name the first position that does not hold.

    The head and the events are read in one snapshot, so appends made meanwhile are
    neither missed nor mistaken for tampering.
    """
    expected_position, previous = 1, GENESIS_HASH
    async with snapshot(engine) as conn:
        head = (await conn.execute(select(ledger_head).where(ledger_head.c.id == 1))).one()
        while True:
            rows = (
                await conn.execute(
                    select(events)
                    .where(events.c.position >= expected_position)
                    .order_by(events.c.position)
                    .limit(PAGE)
                )
            ).all()
            for row in rows:
                broken = _check(row, expected_position, previous)
                if broken is not None:
                    return _broken(head, expected_position - 1, expected_position, broken)
                previous = row.hash
                expected_position += 1
            if progress is not None and rows:
                progress(len(rows))
            if len(rows) < PAGE:
                break
    checked = expected_position - 1
    if head.position != checked or head.hash != previous:
        reason = f"ledger head says position {head.position}, the events end at {checked}"
        if head.position == checked:
            reason = f"ledger head hash differs from the hash of position {checked}"
        position = checked if head.position == checked else min(head.position, checked) + 1
        return _broken(head, checked, position, reason)
    return ChainReport(True, checked, head.position, head.hash)


def _check(row: Row[Any], expected_position: int, previous: str) -> str | None:
    if row.position != expected_position:
        return f"position {expected_position} is missing (next stored is {row.position})"
    try:
        recomputed = chain_hash(previous, row_bytes(row))
    except (ValueError, TypeError) as error:
        return f"stored event cannot be read: {error}"
    if recomputed != row.hash:
        return "stored hash does not match the event's contents and its predecessor"
    return None


def _broken(head: Row[Any], checked: int, position: int, reason: str) -> ChainReport:
    return ChainReport(
        ok=False,
        checked_events=checked,
        head_position=head.position,
        head_hash=head.hash,
        first_broken_position=position,
        reason=reason,
    )
