"""What the outbox's SQL does differently per database: an insert that keeps the row
already there (both spell it ``ON CONFLICT DO NOTHING``, through their own dialects)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["insert_new"]

# By dialect name: each dialect's own INSERT, the one with ``on_conflict_do_nothing``.
_INSERTS: dict[str, Callable[[Table], postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


async def insert_new(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows``, leaving any whose key is already there as it is: taking in a due
    alert twice (after a crash between two passes) makes nothing twice."""
    if not rows:
        return
    insert = _INSERTS.get(conn.dialect.name)
    if insert is None:
        raise ValueError(f"unsupported database backend {conn.dialect.name!r}")
    await conn.execute(insert(table).on_conflict_do_nothing(), list(rows))
