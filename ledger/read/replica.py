"""A PostgreSQL streaming replica as a place to read from, and how far it has replayed.

A replica replays the primary's log in commit order, so its own ``ledger_head`` row says up to
which position it holds every event and the views moved with them (they were written in the
same transactions). A read for a client who wrote at position N may go to the replica only
once that row says N or more; otherwise it goes to the primary. What was once seen replayed
stays replayed, so a replica far enough ahead is known without asking again.

A replica is a copy: whatever goes wrong with it, the primary can answer instead. A read
that fails on a replica (the database's failure, not the code's) before anything was read
from it is made again on the primary (``instead_of``), and the replica is left alone for
``retry_seconds``: every read goes to the primary meanwhile, and the first request after
that asks it again. Only a read a hot standby cancelled because its replay had to change the
rows it read leaves it in use. Connecting and each statement are bounded in time, so a
replica that stops answering altogether is found out too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.store.tables import HEAD_ID, ledger_head

__all__ = ["CONNECT_SECONDS", "READ_SECONDS", "RETRY_SECONDS", "Replica"]

log = logging.getLogger("evidence_ledger.replica")

_HEAD = select(ledger_head.c.position).where(ledger_head.c.id == HEAD_ID)

RETRY_SECONDS = 5.0
"""How long a replica found failing is left alone before it is asked again."""
CONNECT_SECONDS = 2.0
"""How long a connection to the replica may take to open (asyncpg waits a minute)."""
READ_SECONDS = 30.0
"""How long one statement on the replica may take before it counts as not answering."""

# What a hot standby cancels: a read in the way of its replay (class 40: a serialization
# failure or a deadlock), or one held past max_standby_streaming_delay (57014).
_STANDBY_CANCELS = ("40", "57014")
_DATA_EXCEPTION = "22"


def _sqlstate(error: BaseException) -> str:
    """The SQLSTATE of a failure, through SQLAlchemy's wrapping or straight from asyncpg."""
    found = getattr(getattr(error, "orig", None), "sqlstate", None) or getattr(
        error, "sqlstate", None
    )
    return found if isinstance(found, str) else ""


def _the_databases(error: BaseException) -> bool:
    """Whether a failure is the database's (the connection refused, cut or timed out, the
    pool waited out, an error the server answered), not the read's own: only the former may
    go better on the primary. A data exception (SQLSTATE class 22, or an argument the driver
    cannot send) is the read's own: the primary would refuse the same values, and a request
    must not be able to send every reader to the primary by what it asks for."""
    if isinstance(error, DataError) or _sqlstate(error).startswith(_DATA_EXCEPTION):
        return False
    return isinstance(error, OSError | PoolTimeout | DBAPIError) or bool(_sqlstate(error))


def _bounded(_dialect: Any, _record: Any, _arguments: Any, parameters: dict[str, Any]) -> None:
    # asyncpg's own connect arguments: a replica that stops answering is found out.
    parameters.setdefault("timeout", CONNECT_SECONDS)
    parameters.setdefault("command_timeout", READ_SECONDS)


class Replica:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        retry_seconds: float = RETRY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        event.listen(engine.sync_engine, "do_connect", _bounded)
        self._replayed = 0  # the highest head this replica was seen at
        self._losses = 0  # times it was found away: a probe begun before one is not trusted
        self._retry_seconds = retry_seconds
        self._clock = clock
        self._away_until: float | None = None  # while set, reads go to the primary
        self._asking = False  # one request at a time asks a replica that was away

    @property
    def away(self) -> bool:
        """Whether the replica was found failing and is being left alone."""
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
        self._asking, losses = True, self._losses
        try:
            async with self.engine.connect() as conn:
                head = await conn.scalar(_HEAD)
        except Exception as error:  # whatever it was, the primary answers instead
            self.lost(error)
            return False
        finally:
            self._asking = False
        if losses != self._losses:
            return False  # found away by a read while this probe was under way
        self._back()
        self._replayed = max(self._replayed, int(head or 0))
        return self._replayed >= position

    def instead_of(self, error: BaseException) -> bool:
        """A read on the replica failed before anything was read from it: whether the
        primary makes it instead. Yes for a failure of the database: refused, cut, timed out,
        or failing where the primary answers (a standby still starting, a database missing, a
        migration not replayed yet), after which the replica is left alone awhile, or a hot
        standby's cancellation, after which it stays in use. No for the read's own (a Python
        error, or a data exception), which the primary would raise the same way."""
        if not _the_databases(error):
            return False
        if _sqlstate(error).startswith(_STANDBY_CANCELS):
            log.info("the replica cancelled a read (%s): read from the primary", error)
        else:
            self.lost(error)
        return True

    def lost(self, error: BaseException) -> None:
        """Leave the replica alone for ``retry_seconds``; reads go to the primary."""
        if not self.away:
            log.warning(
                "the replica failed (%r): reading the primary for %s s", error, self._retry_seconds
            )
        self._losses += 1
        self._away_until = self._clock() + self._retry_seconds
        # Back, it may be another copy (restored from an older backup): ask again how far.
        self._replayed = 0

    def _back(self) -> None:
        if self.away:
            log.warning("the replica answers again: reading from it")
        self._away_until = None

    async def close(self) -> None:
        await self.engine.dispose()
