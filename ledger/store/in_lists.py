"""Keys read or written through ``IN (...)`` lists, a chunk at a time: SQLite allows 32,766
parameters per statement and PostgreSQL 32,767, and a batch of events or an outbox page may
name more keys than that."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

__all__ = ["IN_LIST_KEYS", "in_chunks"]

IN_LIST_KEYS = 5000
"""Keys per ``IN`` list (a composite key's columns count each)."""

Key = TypeVar("Key")


def in_chunks(keys: Sequence[Key], size: int = IN_LIST_KEYS) -> Iterator[Sequence[Key]]:
    """``keys`` in runs of at most ``size``."""
    return (keys[start : start + size] for start in range(0, len(keys), size))
