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

The thread runs SQLAlchemy Core statements straight on its standard-library ``sqlite3``
connection (``RawSQLite``): SQLAlchemy's execution machinery (contexts, events, result objects)
costs more per statement than SQLite's own work. Each statement is compiled by SQLAlchemy once
(so the SQL has one source, the ledger's tables), and values go through their column types'
own bind and result processors (so what is stored is what the async engine stores).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections import namedtuple
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from ledger.store.prepare import PreparedAppend
from ledger.store.records import AppendResult
from ledger.store.sqlite import database_file, sqlite_pragmas, write_append_sync

__all__ = ["RawSQLite", "SQLiteWriter", "sqlite_appender"]

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


# -- the writer's connection ------------------------------------------------------------

Processor = Callable[[Any], Any] | None


class _Compiled:
    def __init__(self, statement: ClauseElement, dialect: SQLiteDialect_pysqlite) -> None:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        self.compiled = compiled
        self.sql = str(compiled)
        self.names: Sequence[str] = compiled.positiontup or ()
        self.binds: list[Processor] = [
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in self.names
        ]
        columns = getattr(statement, "selected_columns", None)
        if columns is not None:
            keys = list(columns.keys())
            self.row = namedtuple("Row", keys)  # type: ignore[misc]
            self.results: list[Processor] = [
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in columns
            ]

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        # The statement's own literals (a coalesce's 0) are bound parameters too.
        complete = self.compiled.construct_params(dict(values))
        return tuple(
            value if process is None else process(value)
            for value, process in zip(
                (complete[name] for name in self.names), self.binds, strict=True
            )
        )

    def decode(self, raw: Sequence[Any]) -> Any:
        return self.row(*(v if p is None else p(v) for v, p in zip(raw, self.results, strict=True)))


class _Result:
    def __init__(self, compiled: _Compiled, cursor: sqlite3.Cursor) -> None:
        self._compiled = compiled
        self._cursor = cursor

    def one(self) -> Any:
        rows = self._cursor.fetchall()
        if len(rows) != 1:
            raise LookupError(f"expected one row, got {len(rows)}")
        return self._compiled.decode(rows[0])


class RawSQLite:
    dialect = SQLiteDialect_pysqlite()

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self._cursor = connection.cursor()
        self._compiled: dict[int, tuple[ClauseElement, _Compiled]] = {}

    def _compile(self, statement: ClauseElement) -> _Compiled:
        # By identity: the ledger's statements are module constants, built once.
        found = self._compiled.get(id(statement))
        if found is None or found[0] is not statement:
            found = self._compiled[id(statement)] = (statement, _Compiled(statement, self.dialect))
        return found[1]

    def execute(
        self, statement: ClauseElement, parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]]
    ) -> _Result:
        compiled = self._compile(statement)
        if isinstance(parameters, Mapping):
            self._cursor.execute(compiled.sql, compiled.parameters(parameters))
        else:
            self._cursor.executemany(compiled.sql, [compiled.parameters(p) for p in parameters])
        return _Result(compiled, self._cursor)

    def run(self, sql: str) -> None:
        """Transaction control (BEGIN IMMEDIATE, SAVEPOINT, COMMIT...): the driver's own
        transaction handling is off (``isolation_level = None``)."""
        self._cursor.execute(sql)


def sqlite_appender(
    engine: AsyncEngine, in_transaction: Callable[[PreparedAppend], Awaitable[AppendResult]]
) -> Callable[[PreparedAppend], Awaitable[AppendResult]]:
    """How an append made alone is written: by the writer thread on a file of its own, else
    (an in-memory database, a URL with driver options) in a transaction on the engine."""
    if database_file(engine) is None:
        return in_transaction
    return SQLiteWriter(engine).append
