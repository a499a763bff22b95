"""Taking the ledger head, and the append in a write transaction, on either backend.

``lock_head`` holds the one-row head to commit, so that nobody else appends meanwhile (a
pessimistic attempt of the runner, the projector filling a gap, a rebuild's swap).
``write_append`` hands an append, already checked and serialised (``ledger.store.prepare``),
to its backend's way of writing it (``ledger.store.backends``): SQLite's one writer reads the
head, checks the stream version and idempotency key and writes (``ledger.store.sqlite``);
PostgreSQL's ``ledger_append`` function locks the head last and does the same in one round
trip (``ledger.store.postgres``). Either way positions come from the head, so they are dense,
and the head is held to commit, so they become visible in order.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.store.backends import backend_of
from ledger.store.event_store import Head
from ledger.store.prepare import PreparedAppend
from ledger.store.records import AppendResult
from ledger.store.tables import HEAD_ID, ledger_head

__all__ = ["HEAD_ID", "lock_head", "write_append"]

_LOCK_HEAD = (
    select(ledger_head.c.position, ledger_head.c.hash, ledger_head.c.recorded_at)
    .where(ledger_head.c.id == HEAD_ID)
    .with_for_update()
)


async def lock_head(conn: AsyncConnection) -> Head:
    """Take the ledger head for this transaction: from here to commit, nobody else appends."""
    row = (await conn.execute(_LOCK_HEAD)).one()
    return Head(row.position, row.hash, row.recorded_at)


async def write_append(conn: AsyncConnection, prepared: PreparedAppend) -> AppendResult:
    """The append, in the write transaction ``conn`` is in, the way its backend does it."""
    return await conn.run_sync(backend_of(conn).write_append, prepared)
