"""What the views do differently on each database, behind one protocol: the backend modules
(``sqlite.py``, ``postgres.py``) implement it, and this table picks one by dialect name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.projections import postgres, sqlite
from ledger.projections.fold import Row

__all__ = ["ViewBackend", "ViewWriter", "view_backend"]


class ViewWriter(Protocol):
    """A table's bulk insert and upsert, a few statements whatever the batch."""

    async def insert(self, conn: AsyncConnection, rows: Sequence[Row]) -> None: ...

    async def upsert(self, conn: AsyncConnection, rows: Sequence[Row]) -> None: ...


class ViewBackend(Protocol):
    def writer(self, table: Table, dialect: Dialect) -> ViewWriter:
        """The bulk writer of ``table``'s rows."""
        ...

    def search_index_statements(self, index: str, table: str) -> list[str]:
        """The search index over the live article view ``table``, filled from its rows."""
        ...

    def search_index_drop_statements(self, index: str) -> list[str]:
        """Removing the search index (and whatever keeps it in step)."""
        ...

    def fresh_search_index_statements(self, index: str, table: str) -> list[str]:
        """The search index of a rebuild's fresh article view ``table``, filled from its
        rows and kept in step with the rows the rebuild still writes (one transaction)."""
        ...

    def fresh_search_index_drop_statements(self, index: str) -> list[str]:
        """Removing a fresh index not swapped in."""
        ...

    def search_index_swap_statements(
        self, fresh: str, live: str, table: str
    ) -> tuple[list[str], list[str]]:
        """What a rebuild's swap runs before it replaces the article view ``table`` (the live
        index out of the way) and after (the fresh index under the live name, kept in step
        as the live one was)."""
        ...

    async def search_index_problem(self, conn: AsyncConnection, index: str) -> str | None:
        """What is wrong with the live search index, or None."""
        ...


_BACKENDS: dict[str, ViewBackend] = {"sqlite": sqlite, "postgresql": postgres}


def view_backend(dialect: str) -> ViewBackend:
    """The views' backend for a dialect's name."""
    return _BACKENDS[dialect]
