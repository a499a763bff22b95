"""Answers kept with the ledger facts they were computed from, served again while those hold.

An entry is the answer's bytes, its ETag, the position the ledger stood at before the query
ran, and the articles it read (None: the whole ledger). It is served only after the process
has learnt of every event committed before the request (``LedgerChanges.current``) and none
of them after the entry's position touched its facts (``LedgerChanges.changed_since``): an
entry whose facts moved is never served, whatever its age. Bounded in bytes, least recently
used out.

The key is the document (the sha256 of its text, which is also its persisted-query hash),
the variables as canonical JSON, the operation's name, the media type answered, and what
the caller may see: their role ("public" when anonymous). An answer that read who the
caller is (``me``) is kept per principal: the role's key then only says so, and the entry
lives under a key that adds the principal's id.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

__all__ = ["CacheEntry", "CacheStats", "ResponseCache", "entity_tag", "request_key"]

ENTRY_OVERHEAD = 512
"""Bytes counted per entry besides its body (the key, the facts, the bookkeeping)."""

MAX_PERSONAL_KEYS = 65_536


@dataclass(frozen=True)
class CacheEntry:
    body: bytes
    media_type: str
    etag: str
    position: int
    articles: frozenset[str] | None

    @property
    def size(self) -> int:
        return len(self.body) + ENTRY_OVERHEAD + 40 * len(self.articles or ())


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    evictions: int = 0
    stored: int = 0
    executions: int = 0  # operations the executor ran (parsed, validated, executed)
    repeats: int = 0  # hits answered to a repeated request before the stack (graph.http.repeats)

    def as_json(self) -> dict[str, int]:
        return {
            "hits": self.hits,
            "misses": self.misses,
            "evictions": self.evictions,
            "stored": self.stored,
            "executions": self.executions,
            "repeats": self.repeats,
        }


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def request_key(
    document_hash: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    media_type: str,
    visibility: str,
) -> str:
    """The key of an answer for callers of one role (``visibility``)."""
    canonical = json.dumps(variables or {}, sort_keys=True, separators=(",", ":"))
    # As JSON: no operation name (null) and an empty one ("", which no operation has) differ.
    name = json.dumps(operation_name)
    return _digest(document_hash, canonical, name, media_type, visibility)


def entity_tag(body: bytes, media_type: str) -> str:
    """A strong ETag: the answer's bytes and media type, so equal answers share it whichever
    process or execution produced them."""
    return '"' + hashlib.sha256(media_type.encode() + b"\x00" + body).hexdigest()[:32] + '"'


class ResponseCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.stats = CacheStats()
        self._entries: OrderedDict[str, CacheEntry] = OrderedDict()
        self._bytes = 0
        # Role keys whose answers were found to depend on who asks.
        self._personal: set[str] = set()

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def key_for(self, role_key: str, principal_id: str | None) -> str:
        """Where the answer for this caller lives: per principal once known to be personal."""
        if role_key in self._personal:
            return _digest(role_key, principal_id or "")
        return role_key

    def get(self, key: str) -> CacheEntry | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def peek(self, key: str) -> CacheEntry | None:
        """The entry under ``key``, left where it is in the order of use."""
        return self._entries.get(key)

    def put(
        self, role_key: str, principal_id: str | None, personal: bool, entry: CacheEntry
    ) -> None:
        if personal:
            if len(self._personal) >= MAX_PERSONAL_KEYS:
                # Safe to forget: a personal answer is never kept under its role's key, so
                # a forgotten one is only missed until its next execution says so again.
                self._personal.clear()
            self._personal.add(role_key)
            self.discard(role_key)
        key = self.key_for(role_key, principal_id)
        if entry.size > self.max_bytes:
            return
        self.discard(key)
        self._entries[key] = entry
        self._bytes += entry.size
        self.stats.stored += 1
        while self._bytes > self.max_bytes:
            _, oldest = self._entries.popitem(last=False)
            self._bytes -= oldest.size
            self.stats.evictions += 1

    def discard(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= entry.size

    def clear(self) -> None:
        """Forgets every kept answer (the counters stay)."""
        self._entries.clear()
        self._personal.clear()
        self._bytes = 0

    def as_json(self) -> dict[str, int]:
        return {
            **self.stats.as_json(),
            "entries": len(self._entries),
            "bytes": self._bytes,
            "maxBytes": self.max_bytes,
        }
