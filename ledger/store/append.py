"""The write path of an append, run inside a write transaction, on either backend.

Order matters: the caller's work and all validation come first; the ledger head is locked
last, and only then are the stream version and idempotency key checked, because only
under the lock is "nobody else can append now" true. Positions are taken from the head,
so they are dense, and the lock is held to commit, so they become visible in order.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.store.backends import backend_of
from ledger.store.prepare import PreparedAppend
from ledger.store.records import AppendResult
from ledger.store.tables import HEAD_ID, ledger_head

__all__ = ["HEAD_ID", "LockedHead", "lock_head", "write_append"]


class LockedHead(NamedTuple):
    position: int
    hash: str
    recorded_at: datetime | None


_LOCK_HEAD = (
    select(ledger_head.c.position, ledger_head.c.hash, ledger_head.c.recorded_at)
    .where(ledger_head.c.id == HEAD_ID)
    .with_for_update()
)


async def lock_head(conn: AsyncConnection) -> LockedHead:
    """Take the ledger head for this transaction: from here to commit, nobody else appends."""
    row = (await conn.execute(_LOCK_HEAD)).one()
    return LockedHead(row.position, row.hash, row.recorded_at)


async def write_append(conn: AsyncConnection, prepared: PreparedAppend) -> AppendResult:
    """The append, in the write transaction ``conn`` is in, the way its backend does it."""
    return await conn.run_sync(backend_of(conn).write_append, prepared)
