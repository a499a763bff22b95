"""What the outbox's SQL does differently per database: an insert that keeps the row
already there (both spell it ``ON CONFLICT DO NOTHING``, through their own dialects)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["insert_new"]


async def insert_new(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows``, leaving any whose key is already there as it is: taking in a due
    alert twice (after a crash between two passes) makes nothing twice."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    await conn.execute(dialect.insert(table).on_conflict_do_nothing(), list(rows))
