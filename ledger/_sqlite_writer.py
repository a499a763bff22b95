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

from ledger._append import write_append_sync
from ledger._prepare import PreparedAppend
from ledger._raw_sqlite import RawSQLite
from ledger.db import sqlite_pragmas
from ledger.errors import LedgerError
from ledger.records import AppendResult

__all__ = ["SQLiteWriter"]

# Appends taken into one transaction at most: bounds the wait of the first of them.
MAX_GROUP = 64


@dataclass
class _Request:
    prepared: PreparedAppend
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[AppendResult]

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


class SQLiteWriter:
    def __init__(self, engine: AsyncEngine) -> None:
        self._async_engine = engine
        self._requests: queue.SimpleQueue[_Request | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()
        self.largest_group = 0  # the most appends one transaction took, for the curious
        # The writer's connection goes when the engine is disposed.
        event.listen(engine.sync_engine, "engine_disposed", lambda _engine: self.close())

    async def append(self, prepared: PreparedAppend) -> AppendResult:
        loop = asyncio.get_running_loop()
        request = _Request(prepared, loop, loop.create_future())
        self._ensure_started()
        self._requests.put(request)
        return await request.future

    def _ensure_started(self) -> None:
        with self._start:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="ledger-sqlite-writer", daemon=True
                )
                self._thread.start()

    def close(self) -> None:
        with self._start:
            thread, self._thread = self._thread, None
        if thread is not None and thread.is_alive():
            self._requests.put(_STOP)
            thread.join()

    def _run(self) -> None:
        database = self._async_engine.url.database
        assert database, "the SQLite writer needs a database file"
        connection = sqlite3.connect(database, timeout=60, check_same_thread=False)
        try:
            sqlite_pragmas(connection)
            conn = RawSQLite(connection)
            while (group := self._next_group()) is not None:
                self._write_group(conn, group)
        finally:
            connection.close()

    def _next_group(self) -> list[_Request] | None:
        first = self._requests.get()
        if first is _STOP:
            return None
        assert isinstance(first, _Request)
        group = [first]
        while len(group) < MAX_GROUP:
            try:
                more = self._requests.get_nowait()
            except queue.Empty:
                break
            if more is _STOP:
                self._requests.put(_STOP)  # finish this group, then stop
                break
            assert isinstance(more, _Request)
            group.append(more)
        return group

    def _write_group(self, conn: RawSQLite, group: list[_Request]) -> None:
        self.largest_group = max(self.largest_group, len(group))
        # Alone in its transaction, an append needs no savepoint of its own.
        alone = len(group) == 1
        answers: list[tuple[_Request, AppendResult | None, LedgerError | None]] = []
        try:
            conn.run("BEGIN IMMEDIATE")
            try:
                for request in group:
                    if not alone:
                        conn.run("SAVEPOINT append")
                    try:
                        result = write_append_sync(conn, request.prepared)
                    except LedgerError as refusal:
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
