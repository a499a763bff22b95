"""Learning of new positions on SQLite from the database's own change counter.

``PRAGMA data_version`` on a connection changes when another connection (of this process or
any other) has committed since it was last asked; asking costs no read of any table. Every
``current`` asks it on a connection kept for that alone, and reads the log only when it moved
(or when a client asks for a position not learnt yet). This process's own commits are learnt
at once by ``committed``; they also move the counter, so the read that follows finds them
already known.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.read.changes import CHANGES_AFTER, HISTORY, LearningChanges, changes_of

__all__ = ["DataVersionChanges"]

# Rows read on the loop at most; more (after a bulk import, say) are read on the driver's thread.
READ_HERE = 1_000
_CHANGES_HERE = f"{CHANGES_AFTER} LIMIT :limit"  # built once, not at every read


class DataVersionChanges(LearningChanges):
    def __init__(self, engine: AsyncEngine, database_file: str, history: int = HISTORY) -> None:
        super().__init__(engine, history)
        # Asked on the event loop: the pragma reads the WAL's shared header, no table, and
        # takes microseconds, much less than a hop to the driver's thread.
        self._counter = sqlite3.connect(database_file, check_same_thread=False, timeout=5)
        self._seen: int | None = None  # the counter when the last read began

    def _version(self) -> int:
        row = self._counter.execute("PRAGMA data_version").fetchone()
        return int(row[0])

    def _needs_read(self, at_least: int) -> bool:
        log_ = self._log
        if log_.has_gap or log_.position < max(at_least, 0):
            return True
        return self._version() != self._seen

    async def _read(self) -> None:
        # Taken before the read: a commit after it moves the counter again.
        version = self._version()
        if not self._read_here():
            await super()._read()
        self._seen = version

    def _read_here(self) -> bool:
        """The changes since the last read, read on the loop like the counter: the few rows
        after a known position come from the primary key's index in microseconds, where a
        read through the engine (a pooled connection, a transaction, the driver's thread)
        cost more than the page it was learnt for. False, for the engine to read, before
        the first read (only the head is wanted then) and past ``READ_HERE`` rows (a large
        read would hold up the loop)."""
        after = self._log.position
        if after < 0:
            return False
        # One row more than the limit tells whether there were more.
        rows = self._counter.execute(
            _CHANGES_HERE, {"after": after, "limit": READ_HERE + 1}
        ).fetchall()
        if len(rows) > READ_HERE:
            return False
        self._log.learn(*changes_of(rows, after))
        return True

    async def close(self) -> None:
        self._counter.close()
