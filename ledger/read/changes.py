"""What has changed in the ledger since a position, as one process knows it.

A cached answer is kept with the position it was read at and the articles it read; it may be
served again only while no later event touched one of them. ``LedgerChanges`` is how a
process learns of later events: ``current`` brings its knowledge up to the committed head (or
at least to a position a client says it has written at), and ``changed_since`` answers from
that knowledge without asking the database.

``PolledChanges`` learns by reading the log's positions and streams after the last one it
knew, on every ``current``: always right, one small statement per call. Cheaper ways to learn
(a notification from the append on PostgreSQL, SQLite's change counter) decide *when* that
read is needed; what is learnt, and what ``changed_since`` answers, stays this.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.store.tables import events

__all__ = ["Change", "LedgerChanges", "PolledChanges", "article_of_stream"]

ARTICLE_STREAM_PREFIX = "article:"
HISTORY = 50_000
"""Changes remembered; an answer read before the oldest of them is treated as changed."""


@dataclass(frozen=True)
class Change:
    """One committed event: its position and the article it belongs to (None: an event of
    no one article, such as a rater or the vocabulary, which any answer may have read)."""

    position: int
    article_id: str | None


def article_of_stream(stream_id: str) -> str | None:
    """The article whose stream this is, or None for any other stream."""
    if stream_id.startswith(ARTICLE_STREAM_PREFIX):
        return stream_id[len(ARTICLE_STREAM_PREFIX) :]
    return None


class LedgerChanges(Protocol):
    async def current(self, at_least: int = 0) -> int:
        """The committed head as far as this process knows it, after learning of every
        event committed before the call (and at least up to ``at_least``)."""
        ...

    def changed_since(self, position: int, articles: frozenset[str] | None) -> bool:
        """Whether an event after ``position`` (and up to what ``current`` last learnt)
        touched one of ``articles``; None stands for an answer that read the whole ledger.
        True when it cannot be known (``position`` is older than what is remembered)."""
        ...


class ChangeLog:
    """The changes a process has learnt, newest last, bounded; the logic shared by every way
    of learning them."""

    def __init__(self, history: int = HISTORY) -> None:
        self.position = -1  # nothing learnt yet: every answer counts as changed
        self._changes: deque[Change] = deque(maxlen=history)
        self._forgotten_up_to = -1  # changes at or below this are no longer remembered

    def learn(self, changes: Iterable[Change], head: int) -> None:
        for change in changes:
            if change.position <= self.position:
                continue
            if len(self._changes) == self._changes.maxlen:
                self._forgotten_up_to = self._changes[0].position
            self._changes.append(change)
        if self.position < 0:
            self._forgotten_up_to = head  # nothing before the first look is known
        self.position = max(self.position, head)

    def changed_since(self, position: int, articles: frozenset[str] | None) -> bool:
        if position < self._forgotten_up_to or self.position < 0:
            return True
        for change in reversed(self._changes):
            if change.position <= position:
                return False
            if articles is None or change.article_id is None or change.article_id in articles:
                return True
        return False


class PolledChanges:
    """Learns by reading the log after its last known position, one statement per call;
    concurrent callers share one read."""

    def __init__(self, engine: AsyncEngine, history: int = HISTORY) -> None:
        self._engine = engine
        self._log = ChangeLog(history)
        self._lock = asyncio.Lock()

    async def current(self, at_least: int = 0) -> int:
        async with self._lock:
            await self._learn()
        return self._log.position

    def changed_since(self, position: int, articles: frozenset[str] | None) -> bool:
        return self._log.changed_since(position, articles)

    async def _learn(self) -> None:
        if self._log.position < 0:  # the first look: only where the log stands
            async with self._engine.connect() as conn:
                head = (await conn.execute(select(func.max(events.c.position)))).scalar()
            self._log.learn((), head or 0)
            return
        after = self._log.position
        query = (
            select(events.c.position, events.c.stream_id)
            .where(events.c.position > after)
            .order_by(events.c.position)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        changes = [Change(row.position, article_of_stream(row.stream_id)) for row in rows]
        head = changes[-1].position if changes else after
        self._log.learn(changes, head)
