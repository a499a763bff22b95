"""SQLite appends on one thread of their own, with the standard library's driver.

Through aiosqlite every statement of an append is a hop to the driver's thread and back to
the event loop; here the whole append (BEGIN IMMEDIATE, the head and state read, the
inserts, the head's move, COMMIT) runs as one call on a thread that owns its connection, and
the loop waits once. Appends that queue up while one is being written go into the next
transaction together (a group commit: one sync to disk for all of them), each in a
savepoint of its own, so one refused append takes nothing from the others. An append is
acknowledged only after the COMMIT that made it durable.

The write lock is SQLite's, taken by BEGIN IMMEDIATE: the service's write transactions (on
the async engine) and other processes wait for it, and it for them, exactly as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.store.append import write_append_sync
from ledger.store.db import sqlite_pragmas
from ledger.store.prepare import PreparedAppend
from ledger.store.raw_sqlite import RawSQLite
from ledger.store.records import AppendResult

__all__ = ["SQLiteWriter", "database_file"]

# Appends taken into one transaction at most: bounds the wait of the first of them.
MAX_GROUP = 64


@dataclass
class _Request:
    prepared: PreparedAppend
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[AppendResult]
    # Set on the loop when the caller gives up; read by the writer, which then skips it
    # (unless its transaction has begun: then it commits, as any write whose client left).
    abandoned: bool = False

    def settle(self, result: AppendResult | None, error: BaseException | None) -> None:
        def settle_on_loop() -> None:
            if self.future.done():
                return  # the caller was cancelled
            if error is not None:
                self.future.set_exception(error)
            else:
                assert result is not None
                self.future.set_result(result)

        # A closed loop: nobody waits for this answer any more.
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(settle_on_loop)


_STOP = object()
Requests = queue.SimpleQueue[_Request | object]


def database_file(engine: AsyncEngine) -> str | None:
    """The file of a plain ``sqlite:///path`` URL, which the writer can open itself; None
    for an in-memory database or a URL with driver options (appends then stay on the
    engine's own connections)."""
    url = engine.url
    if not url.database or url.database == ":memory:" or url.query:
        return None
    return url.database


class SQLiteWriter:
    def __init__(self, engine: AsyncEngine) -> None:
        self._async_engine = engine
        self._requests: Requests = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()
        self.largest_group = 0  # the most appends one transaction took, for the curious
        # The writer's connection goes when the engine is disposed.
        event.listen(engine.sync_engine, "engine_disposed", lambda _engine: self.close())

    async def append(self, prepared: PreparedAppend) -> AppendResult:
        loop = asyncio.get_running_loop()
        request = _Request(prepared, loop, loop.create_future())

        def abandon(future: asyncio.Future[AppendResult]) -> None:
            if future.cancelled():
                request.abandoned = True

        request.future.add_done_callback(abandon)
        with self._start:
            # Queued under the lock: a thread that fails to open the database answers
            # everything queued (it takes the lock to), and close() cannot slip its stop in.
            if self._thread is None or not self._thread.is_alive():
                # Each thread has a queue of its own: nothing left for an old one (a stop,
                # say) reaches the new one.
                self._requests = queue.SimpleQueue()
                self._thread = threading.Thread(
                    target=self._run,
                    args=(self._requests,),
                    name="ledger-sqlite-writer",
                    daemon=True,
                )
                self._thread.start()
            self._requests.put(request)
        return await request.future

    def close(self) -> None:
        """Stop the thread once it has written what was queued before (engine disposal)."""
        with self._start:
            thread, self._thread = self._thread, None
            if thread is not None:
                self._requests.put(_STOP)
        if thread is not None:
            thread.join()

    def _run(self, requests: Requests) -> None:
        try:
            database = database_file(self._async_engine)
            assert database is not None, "EventStore makes a writer for plain files only"
            # busy_timeout (the pragmas) is the wait for the write lock; no second timeout.
            connection = sqlite3.connect(database, check_same_thread=False)
            sqlite_pragmas(connection)
        except Exception as failure:
            # No connection: whoever is queued hears why, and the next append starts anew.
            with self._start:
                if self._thread is threading.current_thread():
                    self._thread = None
                _fail_queued(requests, failure)
            return
        try:
            conn = RawSQLite(connection)
            while (group := _next_group(requests)) is not None:
                self._write_group(conn, group)
        finally:
            connection.close()

    def _write_group(self, conn: RawSQLite, group: list[_Request]) -> None:
        self.largest_group = max(self.largest_group, len(group))
        # Alone in its transaction, an append needs no savepoint of its own.
        alone = len(group) == 1
        answers: list[tuple[_Request, AppendResult | None, Exception | None]] = []
        try:
            conn.run("BEGIN IMMEDIATE")
            try:
                for request in group:
                    if not alone:
                        conn.run("SAVEPOINT append")
                    try:
                        result = write_append_sync(conn, request.prepared)
                    except Exception as refusal:  # a refusal, or a failure of this one alone
                        conn.run("ROLLBACK" if alone else "ROLLBACK TO append")
                        answers.append((request, None, refusal))
                    else:
                        answers.append((request, result, None))
                    if not alone:
                        conn.run("RELEASE append")
                if conn.connection.in_transaction:
                    conn.run("COMMIT")
            except BaseException:
                if conn.connection.in_transaction:
                    conn.run("ROLLBACK")
                raise
        except BaseException as failure:
            # Nothing of the group is stored: every caller gets the failure.
            for request in group:
                request.settle(None, failure)
            if not isinstance(failure, Exception):
                raise
            return
        for request, answer, refused in answers:
            request.settle(answer, refused)


def _fail_queued(requests: Requests, failure: Exception) -> None:
    while True:
        try:
            request = requests.get_nowait()
        except queue.Empty:
            return
        if isinstance(request, _Request):
            request.settle(None, failure)


def _next_group(requests: Requests) -> list[_Request] | None:
    """The appends queued now (at least one), or None once asked to stop."""
    group: list[_Request] = []
    while True:
        try:
            item = requests.get(block=not group)
        except queue.Empty:
            return group
        if item is _STOP:
            if not group:
                return None
            requests.put(_STOP)  # finish this group, then stop
            return group
        assert isinstance(item, _Request)
        if not item.abandoned:
            group.append(item)
        if len(group) == MAX_GROUP:
            return group
