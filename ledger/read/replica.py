"""A PostgreSQL streaming replica as a place to read from, and how far it has replayed.

A replica replays the primary's log in commit order, so its own ``ledger_head`` row says up to
which position it holds every event and the views moved with them (they were written in the
same transactions). A read for a client who wrote at position N may go to the replica only
once that row says N or more; otherwise it goes to the primary. What was once seen replayed
stays replayed, so a replica far enough ahead is known without asking again.

A replica is a copy: whatever goes wrong with it, the primary can answer instead. One that
cannot be reached (refused, cut, timed out) is left alone for ``retry_seconds``: every read
goes to the primary meanwhile, and the first request after that asks it again. A read that
fails on a replica before anything was read from it is made again on the primary
(``instead_of``): a hot standby may also cancel a read whose rows its replay is changing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.store.tables import HEAD_ID, ledger_head

__all__ = ["RETRY_SECONDS", "Replica", "unreachable"]

log = logging.getLogger("evidence_ledger.replica")

_HEAD = select(ledger_head.c.position).where(ledger_head.c.id == HEAD_ID)

RETRY_SECONDS = 5.0
"""How long a replica that could not be reached is left alone before it is asked again."""


def unreachable(error: BaseException) -> bool:
    """Whether a failure says the database could not be reached (the connection refused, cut
    or timed out), rather than something about the read itself."""
    if isinstance(error, OSError | TimeoutError):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


class Replica:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        retry_seconds: float = RETRY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self._replayed = 0  # the highest head this replica was seen at
        self._retry_seconds = retry_seconds
        self._clock = clock
        self._away_until: float | None = None  # while set, reads go to the primary
        self._asking = False  # one request at a time asks a replica that was away

    @property
    def away(self) -> bool:
        """Whether the replica was found unreachable and is being left alone."""
        return self._away_until is not None

    def usable(self) -> bool:
        """Whether reads may be sent to the replica now: it was not found away, or its time
        away is over (then the next read or ``has_replayed`` finds out)."""
        return self._away_until is None or self._clock() >= self._away_until

    async def has_replayed(self, position: int) -> bool:
        """Whether reads for a client who wrote at ``position`` may go to the replica: it is
        not away and holds every event up to ``position`` (one statement at most; none once
        it was seen there). A replica that cannot be asked is counted as away, never raised."""
        if not self.usable() or (self._asking and self.away):
            return False
        if self._replayed >= position and not self.away:
            return True
        self._asking = True
        try:
            async with self.engine.connect() as conn:
                head = await conn.scalar(_HEAD)
        except Exception as error:  # whatever it was, the primary answers instead
            self.lost(error)
            return False
        finally:
            self._asking = False
        self._back()
        self._replayed = max(self._replayed, int(head or 0))
        return self._replayed >= position

    def instead_of(self, error: BaseException) -> bool:
        """A read on the replica failed before anything was read from it: whether the
        primary makes it instead (a failure of the database, not of the read's own). A replica
        that could not be reached is left alone awhile."""
        if unreachable(error):
            self.lost(error)
            return True
        if isinstance(error, DBAPIError):  # such as a read a hot standby's replay cancelled
            log.info("a read on the replica failed (%s): read from the primary", error)
            return True
        return False

    def lost(self, error: BaseException) -> None:
        """Leave the replica alone for ``retry_seconds``; reads go to the primary."""
        if not self.away:
            log.warning("the replica cannot be reached (%r): reading the primary", error)
        self._away_until = self._clock() + self._retry_seconds
        # Back, it may be another copy (restored from an older backup): ask again how far.
        self._replayed = 0

    def _back(self) -> None:
        if self.away:
            log.warning("the replica answers again: reading from it")
        self._away_until = None

    async def close(self) -> None:
        await self.engine.dispose()
