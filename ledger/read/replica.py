"""A PostgreSQL streaming replica as a place to read from, and how far it has replayed.

A replica replays the primary's log in commit order, so its own ``ledger_head`` row says up to
which position it holds every event and the views moved with them (they were written in the
same transactions). A read for a client who wrote at position N may go to the replica only
once that row says N or more; otherwise it goes to the primary. What was once seen replayed
stays replayed, so a replica far enough ahead is known without asking again.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.store.tables import HEAD_ID, ledger_head

__all__ = ["Replica"]

_HEAD = select(ledger_head.c.position).where(ledger_head.c.id == HEAD_ID)


class Replica:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._replayed = 0  # the highest head this replica was seen at

    async def has_replayed(self, position: int) -> bool:
        """Whether the replica holds every event up to ``position`` (one statement at most;
        none once it was seen there)."""
        if self._replayed >= position:
            return True
        async with self.engine.connect() as conn:
            head = await conn.scalar(_HEAD)
        self._replayed = max(self._replayed, int(head or 0))
        return self._replayed >= position

    async def close(self) -> None:
        await self.engine.dispose()
