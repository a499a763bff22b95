"""The read side's backends, by dialect name: what a read asks each database its own way, a
search's hits and the topic key in SQL (in ``ledger.read.sqlite`` and
``ledger.read.postgres``). The store, the projections and replay choose theirs in their own
``backends`` modules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.read import postgres, sqlite

__all__ = ["ReadBackend", "backend_named", "backend_of"]


@dataclass(frozen=True)
class ReadBackend:
    text_hits: Callable[[list[str], Any], Select[Any, Any]]
    topic_key: Callable[[Any], ColumnElement[Any]]


_BACKENDS = {
    "sqlite": ReadBackend(text_hits=sqlite.text_hits, topic_key=sqlite.topic_key),
    "postgresql": ReadBackend(text_hits=postgres.text_hits, topic_key=postgres.topic_key),
}


def backend_named(dialect: str) -> ReadBackend:
    """The backend of a dialect name (``sqlite``, ``postgresql``)."""
    try:
        return _BACKENDS[dialect]
    except KeyError:
        raise ValueError(f"unsupported database backend {dialect!r}") from None


def backend_of(conn: AsyncConnection) -> ReadBackend:
    """The backend a connection reads."""
    return backend_named(conn.dialect.name)
