"""The page statements' way to the database: one statement on the driver itself.

PostgreSQL: a pool of asyncpg connections of their own, apart from the engine's. Checking a
connection out of SQLAlchemy's pool and back costs more CPU than the statement's whole round
trip on the driver (about 150 against 60 microseconds here), and a page read is one
statement. Nothing is reset when a connection comes back beyond what asyncpg always does (a
transaction left open is rolled back): one statement leaves no session state behind, so the
four statements of asyncpg's own reset would be a round trip for nothing. asyncpg prepares
each statement once per connection and keeps it (its statement cache).

A connection lost while idle in the pool (the server restarted, or an administrator ended
the session) is found out by the statement sent on it; nothing was read, so the statement is
sent once more, on a new connection (asyncpg closes the lost one, and the pool reopens a
connection it finds closed). The pool's other connections are replaced as they are next
taken: the same end most likely took them, and they look alive until their ends are read.
Waiting for a free connection, and each statement, are bounded in time (as SQLAlchemy's
pool bounds its own), and so is the close.

SQLite: the engine's pooled connection's own driver (the standard library's module, which
also keeps its prepared statements); the engine's pool is in-process, with no such cost.

No transaction is begun: a single statement reads one snapshot by itself (PostgreSQL's READ
COMMITTED takes it per statement; SQLite's connections are in autocommit mode, where each
SELECT is its own read transaction).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # (no stubs; used at its edges only)

from ledger.read.backends import backend_named
from ledger.read.listened import asyncpg_dsn
from ledger.read.reader import Database

__all__ = ["APPLICATION_NAME", "DriverReads"]

APPLICATION_NAME = "evidence-ledger pages"
"""How the pool's sessions are named in ``pg_stat_activity`` (with the process id)."""
WAIT_SECONDS = 30.0
"""How long a read may wait for a free connection, or for its statement's answer."""
CLOSE_SECONDS = 10.0
"""How long ``close`` waits for reads under way before it cuts their connections."""

log = logging.getLogger("evidence_ledger.pages")

# What a statement on a connection that had died meanwhile raises: it never reached the
# server (refused, reset), the server ended the session (57P01/57P02), or the notice of its
# end came as the statement went out (asyncpg then finds the connection busy or closed).
# Not any OSError: a timeout is one, and a statement that took too long is not sent again.
_LOST = (
    ConnectionError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.InternalClientError,
)


def _lost(error: BaseException) -> bool:
    """Whether ``error`` says the statement's connection had died, not that the statement
    was wrong: asyncpg's ``DataError`` (an argument it cannot send) is an ``InterfaceError``
    too."""
    return isinstance(error, _LOST) and not isinstance(error, asyncpg.exceptions.DataError)


async def _nothing_left(connection: Any) -> None:
    """A page statement leaves no session state: nothing to reset (see the module)."""


class DriverReads:
    """One statement at a time on the driver, for whoever reads pages; ``close`` when done."""

    def __init__(self, database: Database, pool: Any = None) -> None:
        self.database = database
        self._pool = pool  # asyncpg's, on PostgreSQL

    @classmethod
    async def open(cls, database: Database, *, size: int = 10) -> DriverReads:
        """Reads on ``database``: on PostgreSQL a pool of up to ``size`` connections, one
        opened now."""
        if not backend_named(database.dialect.name).pages_on_own_connections:
            return cls(database)
        pool = await asyncpg.create_pool(
            asyncpg_dsn(database),
            init_size=1,
            # No floor: asyncpg keeps one by reconnecting in the background, which while the
            # database is away logs a warning with a trace every few seconds. A page read
            # opens what it needs; the requests say the outage, once each.
            min_size=0,
            max_size=size,
            reset=_nothing_left,
            command_timeout=WAIT_SECONDS,
            server_settings={"application_name": f"{APPLICATION_NAME} {os.getpid()}"},
        )
        return cls(database, pool)

    @property
    def dialect_name(self) -> str:
        return self.database.dialect.name

    async def fetch_row(self, statement: str, *arguments: Any) -> Sequence[Any] | None:
        """The first row ``statement`` finds with these parameters, or None."""
        if self._pool is not None:
            try:
                return await self._fetch_row(statement, arguments)
            except Exception as error:
                if not _lost(error):
                    raise
                log.info("a page read's connection was lost (%r): sent again", error)
                return await self._fetch_row(statement, arguments)
        async with self.database.connect() as connection:
            raw = await connection.get_raw_connection()
            driver: Any = raw.driver_connection
            rows = await driver.execute_fetchall(statement, arguments)
            return rows[0] if rows else None

    async def _fetch_row(self, statement: str, arguments: tuple[Any, ...]) -> Sequence[Any] | None:
        async with self._pool.acquire(timeout=WAIT_SECONDS) as connection:
            try:
                row: Sequence[Any] | None = await connection.fetchrow(statement, *arguments)
            except Exception as error:
                if _lost(error):
                    # asyncpg closes this connection itself. The pool's others, which the
                    # same restart or administrator most likely ended too, still look alive
                    # until the event loop reads their closed sockets, and would refuse the
                    # statement sent again: each is replaced as it is next taken (as
                    # SQLAlchemy's pool replaces all its connections on a disconnect).
                    await self._pool.expire_connections()
                raise
            return row

    async def close(self) -> None:
        if self._pool is None:
            return
        try:
            async with asyncio.timeout(CLOSE_SECONDS):
                await self._pool.close()
        except TimeoutError:
            self._pool.terminate()  # reads still waiting: their connections are cut
