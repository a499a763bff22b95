"""Automatic persisted queries, as Apollo Client sends them.

A request names its document by ``extensions.persistedQuery = {"version": 1, "sha256Hash":
<sha256 hex of the document's exact text>}``. Without ``query``: the document kept under
that hash, or, when none is, ``PersistedQueryNotFound`` (code ``PERSISTED_QUERY_NOT_FOUND``,
status 200), upon which the client sends the hash with the full text once, and the server
keeps it. A text whose hash is not the one sent is refused (400): it would be kept under a
name that is not its own. Kept documents are bounded in characters, least recently used out.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any

from graph.http.refusals import Refusal

__all__ = ["NOT_FOUND_CODE", "PersistedQueries", "document_hash", "requested_hash"]

NOT_FOUND_CODE = "PERSISTED_QUERY_NOT_FOUND"
NOT_FOUND_MESSAGE = "PersistedQueryNotFound"  # the message Apollo Client also looks for


def document_hash(query: str) -> str:
    """Apollo's hash of a document: the sha256 hex of its exact text in UTF-8."""
    return hashlib.sha256(query.encode()).hexdigest()


def requested_hash(extensions: dict[str, Any] | None) -> str | None:
    """The persisted query's hash the request names, if any (a malformed one is refused)."""
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise Refusal(
            400, "PERSISTED_QUERY_NOT_SUPPORTED", "Only persisted queries of version 1 are known."
        )
    sha = persisted.get("sha256Hash")
    if not isinstance(sha, str) or len(sha) != 64:
        raise Refusal(
            400, "BAD_REQUEST", "`persistedQuery.sha256Hash` must be a sha256 in hexadecimal."
        )
    return sha.lower()


class PersistedQueries:
    def __init__(self, max_chars: int = 4_000_000) -> None:
        self.max_chars = max_chars
        self._documents: OrderedDict[str, str] = OrderedDict()
        self._chars = 0

    def document(self, query: str | None, extensions: dict[str, Any] | None) -> str | None:
        """The request's document: ``query``, or the one kept under its persisted hash.
        A text sent with its hash is checked against it; ``keep`` stores it once admitted."""
        sha = requested_hash(extensions)
        if sha is None:
            return query
        if query is not None:
            if document_hash(query) != sha:
                raise Refusal(400, "BAD_REQUEST", "provided sha does not match query")
            return query
        found = self._documents.get(sha)
        if found is None:
            raise Refusal(200, NOT_FOUND_CODE, NOT_FOUND_MESSAGE)
        self._documents.move_to_end(sha)
        return found

    def touch(self, sha: str) -> bool:
        """Whether the document of ``sha`` is kept; used now, as ``document`` uses it."""
        if sha not in self._documents:
            return False
        self._documents.move_to_end(sha)
        return True

    def keep(self, query: str, extensions: dict[str, Any] | None) -> None:
        """Keeps a document sent with its (checked) hash, once it passed the size limits."""
        sha = requested_hash(extensions)
        if sha is None or sha in self._documents or len(query) > self.max_chars:
            return
        self._documents[sha] = query
        self._chars += len(query)
        while self._chars > self.max_chars:
            _, oldest = self._documents.popitem(last=False)
            self._chars -= len(oldest)
