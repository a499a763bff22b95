"""The read side's backends, by dialect name: what a read asks each database its own way, a
search's hits and the topic key in SQL, how a process learns of new positions, and whether
page reads keep connections of their own (in ``ledger.read.sqlite`` and
``ledger.read.postgres``). The store, the projections and replay choose theirs in their own
``backends`` modules."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ledger.read import postgres, sqlite
from ledger.read.changes import LearningChanges

__all__ = ["ReadBackend", "backend_named", "backend_of"]


@dataclass(frozen=True)
class ReadBackend:
    text_hits: Callable[[list[str], Any], Select[Any, Any]]
    topic_key: Callable[[Any], ColumnElement[Any]]
    # How this process learns of positions committed by any process: returned running (on
    # PostgreSQL, its listener connected or retrying); the caller takes the first look and
    # closes it.
    learning_changes: Callable[[AsyncEngine], Awaitable[LearningChanges]]
    # Whether page reads keep asyncpg connections of their own (``ledger.read.pages.driver``)
    # rather than the engine's: checking one out of a server's pool through SQLAlchemy costs
    # more than a page's statement. SQLite's pool is in-process.
    pages_on_own_connections: bool


_BACKENDS = {
    "sqlite": ReadBackend(
        text_hits=sqlite.text_hits,
        topic_key=sqlite.topic_key,
        learning_changes=sqlite.learning_changes,
        pages_on_own_connections=False,
    ),
    "postgresql": ReadBackend(
        text_hits=postgres.text_hits,
        topic_key=postgres.topic_key,
        learning_changes=postgres.learning_changes,
        pages_on_own_connections=True,
    ),
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
