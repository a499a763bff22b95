"""Keys read or written through ``IN (...)`` lists, a chunk at a time: SQLite allows 32,766
parameters per statement and PostgreSQL 32,767, and a batch of events or an outbox page may
name more keys than that."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Column, Table, delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["IN_LIST_KEYS", "delete_in", "in_chunks", "select_in"]

IN_LIST_KEYS = 5000
"""Keys per ``IN`` list (a composite key's columns count each)."""

Key = TypeVar("Key")


def in_chunks(keys: Sequence[Key], size: int = IN_LIST_KEYS) -> Iterator[Sequence[Key]]:
    """``keys`` in runs of at most ``size``."""
    return (keys[start : start + size] for start in range(0, len(keys), size))


async def select_in(
    conn: AsyncConnection, column: Column[Any], keys: Sequence[Any]
) -> list[dict[str, Any]]:
    """The rows of ``column``'s table whose ``column`` is one of ``keys``."""
    found: list[dict[str, Any]] = []
    for chunk in in_chunks(keys):
        result = await conn.execute(select(column.table).where(column.in_(chunk)))
        found += [dict(row) for row in result.mappings()]
    return found


async def delete_in(
    conn: AsyncConnection, table: Table, keys: Sequence[Any], *, column: Column[Any] | None = None
) -> None:
    """Delete the rows of these primary keys (or of these values of ``column``)."""
    pk = table.primary_key.columns.values()
    if column is not None or len(pk) == 1:
        target: Any = column if column is not None else pk[0]
        size = IN_LIST_KEYS
    else:
        target, size = tuple_(*pk), IN_LIST_KEYS // len(pk)
    for chunk in in_chunks(keys, size):
        await conn.execute(delete(table).where(target.in_(chunk)))
