"""The one definition of an event's canonical bytes and of the hash chain.

Canonical bytes of an event are the UTF-8 encoding of this JSON object, with keys sorted,
no insignificant white space (separators ``,`` and ``:``), non-ASCII characters kept as
they are, and no NaN or infinity::

    {"metadata": {"actor_id": ..., "actor_role": ..., "causation_id": ... | null,
                  "correlation_id": ..., "idempotency_key": ... | null,
                  "recorded_at": "YYYY-MM-DDTHH:MM:SS.ffffffZ"},
     "payload": {...}, "position": N, "schema_version": N, "stream_id": "...",
     "stream_version": N, "type": "..."}

``recorded_at`` is always UTC with exactly six fractional digits and a ``Z``.
The chain: ``hash(N) = sha256(bytes.fromhex(hash(N-1)) + canonical_bytes(N))``, written as
64 lowercase hex digits, with ``hash(0)`` being 64 zeros (``GENESIS_HASH``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "GENESIS_HASH",
    "canonical_bytes",
    "canonical_json",
    "canonical_template",
    "chain_hash",
    "format_time",
    "parse_time",
]

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """Sorted-key, compact JSON; raises ``ValueError``/``TypeError`` for what JSON cannot hold."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def format_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("recorded_at must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def canonical_bytes(
    *,
    position: int,
    stream_id: str,
    stream_version: int,
    event_type: str,
    schema_version: int,
    payload_json: str,
    metadata: Mapping[str, Any],
) -> bytes:
    """Canonical bytes of one event; ``payload_json`` is already ``canonical_json(payload)``.

    The envelope is assembled around the pre-serialised payload so that the bytes hashed are
    exactly the bytes stored, and so the payload is serialised once, outside the head lock.
    """
    head = canonical_json({"metadata": dict(metadata)})[:-1]
    tail = canonical_json(
        {
            "position": position,
            "schema_version": schema_version,
            "stream_id": stream_id,
            "stream_version": stream_version,
            "type": event_type,
        }
    )[1:]
    return f'{head},"payload":{payload_json},{tail}'.encode()


# Stand-ins for what only the writer under the head lock knows. NUL is in no stored text (the
# store refuses it), so their escapes can appear nowhere else in canonical JSON.
_TIME, _POSITION, _VERSION = "\x00time", "\x00position", "\x00version"


def canonical_template(
    *,
    stream_id: str,
    event_type: str,
    schema_version: int,
    payload_json: str,
    metadata: Mapping[str, Any],
) -> tuple[str, str, str, str]:
    """The canonical text of an event around its recorded time, position and stream version.

    ``parts[0] + time + parts[1] + str(position) + parts[2] + str(version) + parts[3]`` is
    ``canonical_bytes(...)`` decoded, where ``time`` is ``format_time(recorded_at)``: for a
    writer that learns the three only under the head lock (PostgreSQL's ``ledger_append``).
    """
    head = canonical_json({"metadata": {**metadata, "recorded_at": _TIME}})[:-1]
    tail = canonical_json(
        {
            "position": _POSITION,
            "schema_version": schema_version,
            "stream_id": stream_id,
            "stream_version": _VERSION,
            "type": event_type,
        }
    )[1:]
    # recorded_at is the last key of the metadata: its stand-in is the last occurrence (an
    # id holding the text "\\u0000time" is escaped with one more backslash, before it).
    before_time, _, after_time = head.rpartition(json.dumps(_TIME)[1:-1])
    before_position, rest = tail.split(json.dumps(_POSITION), 1)
    before_version, after_version = rest.split(json.dumps(_VERSION), 1)
    return (
        before_time,
        f'{after_time},"payload":{payload_json},{before_position}',
        before_version,
        after_version,
    )


def chain_hash(previous_hash: str, event_bytes: bytes) -> str:
    return hashlib.sha256(bytes.fromhex(previous_hash) + event_bytes).hexdigest()
