"""What has changed in the ledger since a position, as one process knows it.

A cached answer is kept with the position it was read at and the articles it read; it may be
served again only while no later event touched one of them. ``LedgerChanges`` is how a
process learns of later events: ``current`` brings its knowledge up to the committed head (or
at least to a position a client says it has written at), and ``changed_since`` answers from
that knowledge without asking the database.

``PolledChanges`` learns by reading the log's positions and streams after the last one it
knew, on every ``current``: always right, one small statement per call. Cheaper ways to learn
(a notification from the append on PostgreSQL, SQLite's change counter) decide *when* that
read is needed; what is learnt, and what ``changed_since`` answers, stays this
(``ledger.read.listened``, ``ledger.read.data_version``).

What a process commits itself is learnt at once (``committed``, called by the store after each
commit), without waiting for a notification or a read. Positions are dense and commit-ordered,
so "learnt up to N" must mean every one of 1..N is known: a change learnt ahead of one still
unknown is held until the gap is filled, and a ``current`` call meanwhile reads the log.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ledger.store.records import AppendResult
from ledger.store.tables import events

__all__ = [
    "Change",
    "ChangeLog",
    "LearningChanges",
    "LedgerChanges",
    "PolledChanges",
    "appended_changes",
    "article_of_stream",
    "read_changes_after",
]

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
        event committed before the call (and at least up to ``at_least``: a position a client
        wrote at, perhaps through another process). An answer below ``at_least`` means the
        ledger has no such position yet."""
        ...

    def changed_since(self, position: int, articles: frozenset[str] | None) -> bool:
        """Whether an event after ``position`` (and up to what ``current`` last learnt)
        touched one of ``articles``; None stands for an answer that read the whole ledger.
        True when it cannot be known (``position`` is older than what is remembered)."""
        ...


class ChangeLog:
    """The changes a process has learnt, newest last, bounded; the logic shared by every way
    of learning them. ``position`` is the newest position up to which every change is known."""

    def __init__(self, history: int = HISTORY) -> None:
        self.position = -1  # nothing learnt yet: every answer counts as changed
        self._changes: deque[Change] = deque(maxlen=history)
        self._forgotten_up_to = -1  # changes at or below this are no longer remembered
        self._held: dict[int, Change] = {}  # learnt ahead of a position still unknown
        self._held_limit = history
        self._dropped_held = False  # more were held than remembered: some were let go

    @property
    def has_gap(self) -> bool:
        """Whether changes were learnt past one still unknown: only a read can fill it."""
        return bool(self._held) or self._dropped_held

    def learn(self, changes: Iterable[Change], head: int) -> None:
        """What a read of the log found: every change after ``position`` up to ``head``."""
        for change in changes:
            self._append(change)
        if self.position < 0:
            self._forgotten_up_to = head  # nothing before the first look is known
        self.position = max(self.position, head)
        self._dropped_held = False  # whatever was let go, the read found
        self._release_held()

    def offer(self, changes: Iterable[Change]) -> None:
        """Changes learnt outside a read (a notification, this process's own commit): each is
        learnt once every position before it is; until then it is held."""
        for change in changes:
            if change.position > self.position:
                if len(self._held) >= self._held_limit:
                    self._dropped_held = True  # bounded: the read that fills the gap finds it
                    continue
                self._held[change.position] = change
        self._release_held()

    def _release_held(self) -> None:
        for position in [p for p in self._held if p <= self.position]:
            del self._held[position]
        if self.position < 0:
            return  # before the first look, nothing is contiguous with anything
        while (change := self._held.pop(self.position + 1, None)) is not None:
            self._append(change)
            self.position = change.position

    def _append(self, change: Change) -> None:
        if change.position <= self.position:
            return
        if len(self._changes) == self._changes.maxlen:
            self._forgotten_up_to = self._changes[0].position
        self._changes.append(change)

    def remembered(self) -> tuple[Change, ...]:
        """The changes remembered, oldest first."""
        return tuple(self._changes)

    def after(self, position: int) -> list[Change] | None:
        """The changes learnt after ``position``, oldest first; None when some of them are no
        longer remembered (or nothing was learnt yet)."""
        if position < self._forgotten_up_to or self.position < 0:
            return None
        found: list[Change] = []
        for change in reversed(self._changes):
            if change.position <= position:
                break
            found.append(change)
        found.reverse()
        return found

    def changed_since(self, position: int, articles: frozenset[str] | None) -> bool:
        if position < self._forgotten_up_to or self.position < 0:
            return True
        for change in reversed(self._changes):
            if change.position <= position:
                return False
            if articles is None or change.article_id is None or change.article_id in articles:
                return True
        return False


def appended_changes(first: int, last: int, stream_id: str) -> Iterator[Change]:
    """The changes of one append: positions ``first`` to ``last``, all on one stream."""
    article_id = article_of_stream(stream_id)
    return (Change(position, article_id) for position in range(first, last + 1))


# The log's appends after a position, in order: the one statement every way of learning
# reads them with (a driver's own connection too, hence plain SQL).
CHANGES_AFTER = "SELECT position, stream_id FROM events WHERE position > :after ORDER BY position"


async def read_changes_after(conn: AsyncConnection, after: int) -> tuple[list[Change], int]:
    """The log's changes after ``after`` and the head they reach (from the start: only the
    head, since nothing before the first look is remembered)."""
    if after < 0:
        head = (await conn.execute(select(func.max(events.c.position)))).scalar()
        return [], int(head or 0)
    rows = (await conn.execute(text(CHANGES_AFTER), {"after": after})).all()
    return changes_of(rows, after)


def changes_of(rows: Iterable[tuple[int, str]], after: int) -> tuple[list[Change], int]:
    """``CHANGES_AFTER``'s rows as changes, and the head they reach."""
    changes = [Change(position, article_of_stream(stream_id)) for position, stream_id in rows]
    return changes, changes[-1].position if changes else after


class LearningChanges:
    """What every way of learning shares: the log of changes, this process's own commits
    learnt at once, and one read of the log at a time whose answer covers every caller who
    was waiting when it began. A subclass decides when a read is needed (``_needs_read``)."""

    def __init__(self, engine: AsyncEngine, history: int = HISTORY) -> None:
        self._engine = engine
        self._log = ChangeLog(history)
        self._lock = asyncio.Lock()
        self._reads_begun = 0

    async def current(self, at_least: int = 0) -> int:
        if not self._needs_read(at_least):
            return self._log.position
        ticket = self._reads_begun
        async with self._lock:
            # A read begun after this call began has learnt everything committed before it.
            if self._reads_begun == ticket:
                self._reads_begun += 1
                await self._read()
        # Still short of ``at_least``: the ledger's head is not there (a position made up).
        return self._log.position

    @property
    def position(self) -> int:
        """The position learnt so far, without learning more (-1 before the first look)."""
        return self._log.position

    def remembered(self) -> tuple[Change, ...]:
        """The changes learnt since the first look, oldest first."""
        return self._log.remembered()

    def changed_since(self, position: int, articles: frozenset[str] | None) -> bool:
        return self._log.changed_since(position, articles)

    def changes_after(self, position: int) -> list[Change] | None:
        """What was learnt after ``position`` (None: not all of it is remembered)."""
        return self._log.after(position)

    def committed(self, results: Iterable[AppendResult]) -> None:
        """This process's commits, learnt at once (a replayed answer appended nothing)."""
        for result in results:
            if not result.replayed:
                self._log.offer(
                    appended_changes(result.first_position, result.last_position, result.stream_id)
                )

    async def close(self) -> None:
        """Stop learning (a subclass may hold a connection of its own)."""

    def _needs_read(self, at_least: int) -> bool:
        return True

    async def _read(self) -> None:
        async with self._engine.connect() as conn:
            changes, head = await read_changes_after(conn, self._log.position)
        self._log.learn(changes, head)


class PolledChanges(LearningChanges):
    """Learns by reading the log after its last known position, one statement per call;
    concurrent callers share one read."""
