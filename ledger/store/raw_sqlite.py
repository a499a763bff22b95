"""SQLAlchemy Core statements run straight on a standard-library ``sqlite3`` connection.

The SQLite writer thread runs a handful of statements per append, thousands of times a
second; SQLAlchemy's execution machinery (contexts, events, result objects) costs more per
statement than SQLite's own work. Here each statement is compiled by SQLAlchemy once (so the
SQL has one source, the ledger's tables), and values go through their column types' own
bind and result processors (so what is stored is what the async engine stores).
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

__all__ = ["RawSQLite"]

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
