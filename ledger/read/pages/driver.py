"""One statement on the database driver itself (asyncpg, or aiosqlite's connection).

The connection comes from the engine's pool and goes back to it; no transaction is begun:
a single statement reads one snapshot by itself (PostgreSQL's READ COMMITTED takes it per
statement; SQLite's connections are in autocommit mode, where each SELECT is its own read
transaction). asyncpg prepares the statement once per connection and keeps it (its
statement cache); SQLite's module does likewise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledger.read.reader import Database

__all__ = ["fetch_row"]


async def fetch_row(database: Database, statement: str, *arguments: Any) -> Sequence[Any] | None:
    """The first row ``statement`` finds with these parameters, or None."""
    async with database.connect() as connection:
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        if database.dialect.name == "postgresql":
            row: Sequence[Any] | None = await driver.fetchrow(statement, *arguments)
            return row
        rows = await driver.execute_fetchall(statement, arguments)
        return rows[0] if rows else None
