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


def chain_hash(previous_hash: str, event_bytes: bytes) -> str:
    return hashlib.sha256(bytes.fromhex(previous_hash) + event_bytes).hexdigest()
