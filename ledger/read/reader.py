"""A request's reads: one snapshot of the views, shared by everything the request loads.

What the API needs of the database to read comes from here, so it names no database library:
the engine it is handed (``Database``) and the shape of a read (``Read``, ``BatchRead``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, TypeAlias, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ledger.store.db import found_ended, snapshot

__all__ = ["BatchRead", "Database", "Instead", "Read", "Reader", "read_now"]

T = TypeVar("T")
K = TypeVar("K")

Database: TypeAlias = AsyncEngine
"""The database the ledger is kept in, as the composition root opened it."""

Read: TypeAlias = Callable[[AsyncConnection], Awaitable[T]]
"""One read on the request's snapshot: a query of ``ledger.read`` with its arguments bound."""

BatchRead: TypeAlias = Callable[[AsyncConnection, Sequence[K]], Awaitable[Mapping[K, T]]]
"""A batch read (a loader's): many keys in one statement, absent keys left out."""

Instead: TypeAlias = Callable[[BaseException], Database | None]
"""Given why the first read of a snapshot failed, the database to read from instead (a
replica's primary), or None: the failure stands."""

log = logging.getLogger("evidence_ledger.errors")


class Reader:
    """One connection per request, opened on first use, reading one snapshot of the views.

    Loaders run concurrently but share it one statement at a time. After a mutation commits
    the reader is closed, so what the request reads next includes the mutation. A resolver
    cancelled or refused never cuts a read short: the others keep the snapshot, and closing
    always ends it cleanly. Once the request is over (``finish``), a read still asked for
    gets a snapshot of its own that ends with it: nothing is left open after the request.

    A snapshot whose first read fails is given up, once, for one on the database ``instead``
    names (a replica that went away is read around this way), or for one on a new connection
    when the pooled one was found ended (a restarted server): nothing was read from the
    first, so the request still reads one snapshot.
    """

    def __init__(self, engine: AsyncEngine, *, instead: Instead | None = None) -> None:
        self._engine = engine
        self._instead = instead
        self._lock = asyncio.Lock()
        self._stack: AsyncExitStack | None = None
        self._connection: AsyncConnection | None = None
        self._reads: set[asyncio.Future[Any]] = set()
        self._finished = False
        self._operations = 0

    @asynccontextmanager
    async def operation(self) -> AsyncIterator[None]:
        """One operation of the request. A batch runs several at once on the one reader: the
        last of them to end finishes the reading, and one begun after that reads anew."""
        self._operations += 1
        self._finished = False
        try:
            yield
        finally:
            self._operations -= 1
            if self._operations == 0:
                await self.finish()

    async def run(self, work: Read[T]) -> T:
        # When a refused field nulls a whole answer, the executor cancels the fields still
        # running. A statement cut off in the middle leaves the connection invalid and its
        # transaction unable to end, so the read runs to its end in a task of its own; only the
        # resolver stops waiting for it (``close`` waits for it before closing).
        read = asyncio.ensure_future(self._read(work))
        self._reads.add(read)
        read.add_done_callback(self._reads.discard)
        try:
            return await asyncio.shield(read)
        except asyncio.CancelledError:
            # Nobody awaits the read any more: if it fails, only the log can tell.
            read.add_done_callback(_log_failure_of_unawaited_read)
            raise

    async def _read(self, work: Read[T]) -> T:
        async with self._lock:
            if self._finished:
                # A loader's batch outlives its cancelled callers and may go on to its next
                # statement after the request ended: nobody would close a snapshot opened now.
                async with snapshot(self._engine) as connection:
                    return await work(connection)
            if self._connection is not None:
                return await work(self._connection)
            database = self._engine  # ``read_from`` may change it meanwhile
            try:
                return await work(await self._open())
            except Exception as error:
                instead = self._instead_of(error, database)
                if instead is None:
                    raise
            await self._give_up()
            self._engine, self._instead = instead, None
            return await work(await self._open())

    def _instead_of(self, error: Exception, database: Database) -> Database | None:
        """Where to read again after the snapshot's first read, on ``database``, failed; or
        None."""
        if self._instead is not None and (instead := self._instead(error)) is not None:
            return instead
        if found_ended(error):
            # The connection was found ended (the server restarted, or an administrator
            # ended the session). The pool has let go of it and of every connection as old,
            # so a new connection to the same database answers.
            return database
        return None

    async def _open(self) -> AsyncConnection:
        self._stack = AsyncExitStack()
        self._connection = await self._stack.enter_async_context(snapshot(self._engine))
        return self._connection

    async def _give_up(self) -> None:
        """Drop a snapshot whose first read failed: its connection is closed at once, not
        rolled back (a connection that stopped answering would keep the request waiting for
        that too); nothing it could say matters any more."""
        stack, connection = self._stack, self._connection
        self._stack, self._connection = None, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.invalidate()
        if stack is not None:
            with contextlib.suppress(Exception):
                await stack.aclose()

    def read_from(self, database: Database) -> None:
        """Read from ``database`` from the next snapshot on (the one open, if any, is ended by
        ``close``): a request that wrote reads the primary, which a replica may lag. What
        ``instead`` named was for the database given first: a failure here is this one's."""
        self._engine, self._instead = database, None

    async def finish(self) -> None:
        """End the request's reading for good: close, and open nothing that outlives it."""
        self._finished = True
        await self.close()

    async def close(self) -> None:
        # Reads whose resolvers were cancelled end first; nobody waits for their answers.
        await asyncio.gather(*self._reads, return_exceptions=True)
        async with self._lock:
            stack, connection = self._stack, self._connection
            self._stack, self._connection = None, None
            try:
                if connection is not None:
                    # A snapshot only read: rolling back ends it whatever a failed read left
                    # (a commit would fail on an aborted or invalidated transaction).
                    await connection.rollback()
            finally:
                if stack is not None:
                    await stack.aclose()


def _log_failure_of_unawaited_read(read: asyncio.Future[Any]) -> None:
    if not read.cancelled() and (error := read.exception()) is not None:
        log.error("A read whose resolver was cancelled failed", exc_info=error)


async def read_now(database: Database, work: Read[T]) -> T:
    """``work`` on a connection of its own, outside any request's snapshot: for a reader
    that polls for what is new (the global log), or that reads once."""
    async with database.connect() as connection:
        return await work(connection)
