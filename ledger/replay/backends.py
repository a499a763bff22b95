"""What a replay does differently on each database, behind one protocol: the backend modules
(``sqlite.py``, ``postgres.py``) implement it, and this table picks one by dialect name."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ledger.replay import postgres, sqlite

__all__ = ["ReplayBackend", "backend_of"]


class ReplayBackend(Protocol):
    def last_character(self) -> str:
        """SQL for the code point of the last character of ``stream_id`` (a partition's
        condition, ``ledger.replay.windows``)."""
        ...

    def can_share(self, engine: AsyncEngine) -> bool:
        """Whether another process can open the database ``engine`` opens."""
        ...

    async def read_rows(
        self, conn: AsyncConnection, rows: str, parameters: dict[str, Any]
    ) -> tuple[Sequence[Sequence[Any]], bool]:
        """The rows of the window statement ``rows``, in position order, and whether their
        payloads are still JSON text."""
        ...

    def name_constraints(self, convention: dict[str, Any], suffix: str) -> None:
        """Adjust the fresh tables' naming ``convention`` for names a rename would keep."""
        ...

    def indexes_before_swap(self) -> bool:
        """Whether the fresh tables get their indexes before the swap (renamed in it)."""
        ...

    def analyze_statement(self, table: str) -> str | None:
        """The statement refreshing the planner's statistics of ``table``, if any."""
        ...

    async def after_rename(self, conn: AsyncConnection, live: Table, new: Table) -> None:
        """After ``new`` took ``live``'s name in the swap: its indexes and constraints too."""
        ...

    def claimed(self, engine: AsyncEngine, suffix: str) -> AbstractAsyncContextManager[None]:
        """Hold the claim on ``suffix``, shared."""
        ...

    def abandoned(self, engine: AsyncEngine, suffix: str) -> AbstractAsyncContextManager[bool]:
        """Whether no replay claims ``suffix``; while True, none can claim it again."""
        ...

    def release(self, engine: AsyncEngine, suffix: str) -> None:
        """What is left of a claim once its replay ended and dropped its tables."""
        ...

    def leftover_claims(self, engine: AsyncEngine) -> set[str] | None:
        """Suffixes claimed outside the database (None: the database cannot outlive its
        process, so nothing is ever left behind)."""
        ...


_BACKENDS: dict[str, ReplayBackend] = {"sqlite": sqlite, "postgresql": postgres}


def backend_of(dialect: Dialect) -> ReplayBackend:
    return _BACKENDS[dialect.name]
