"""The views on SQLite: the bulk writer of a table's rows, and the search index (the FTS5
table kept in step with the article view by triggers)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.projections.fold import Row

__all__ = [
    "SQLiteWriter",
    "fresh_search_index_drop_statements",
    "fresh_search_index_statements",
    "search_index_drop_statements",
    "search_index_problem",
    "search_index_statements",
    "search_index_swap_statements",
    "writer",
]


def _sqlite_json(value: Any) -> str:
    """JSON for what ``json`` does not know: ``UTCDateTime`` values, as SQLite stores them
    (the text SQLAlchemy's processor makes: naive UTC, always with microseconds)."""
    if not isinstance(value, datetime):
        raise TypeError(f"{type(value).__name__} is not a view column's type")
    moment: datetime = value
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are refused: pass a timezone-aware UTC time")
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat(" ", "microseconds")[:-6]  # without its "+00:00"


class SQLiteWriter:
    """A table's insert and upsert on SQLite: all the rows as one JSON parameter, unpacked by
    ``json_each`` in one statement.

    The driver runs an executemany a row at a time, taking Python's lock back for each row;
    while this thread is busy (folding the next window), each such hand-over waits out the
    interpreter's switch interval, and the write all but stops. One statement runs start to
    end without the lock, on another core. (A multi-row VALUES would be bound faster, but
    SQLite keeps each prepared size, megabytes for thousands of rows, in every connection's
    statement cache.) ``json_extract`` gives back what binding would store: integers, text,
    NULL, and 1 or 0 for booleans.
    """

    def __init__(self, table: Table, dialect: Dialect) -> None:
        quote = dialect.identifier_preparer.quote
        names = [column.name for column in table.columns]
        pk = [column.name for column in table.primary_key]
        unpacked = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(names)))
        self.insert_sql = (
            f"INSERT INTO {dialect.identifier_preparer.format_table(table)}"
            f" ({', '.join(quote(n) for n in names)}) SELECT {unpacked} FROM json_each(?)"
        )
        updates = ", ".join(f"{quote(n)} = excluded.{quote(n)}" for n in names if n not in pk)
        # "WHERE true": SQLite's parser would otherwise read ON CONFLICT as a join's ON.
        self.upsert_sql = (
            f"{self.insert_sql} WHERE true ON CONFLICT ({', '.join(quote(n) for n in pk)})"
            f" DO UPDATE SET {updates}"
        )
        assert len(names) > 1, "itemgetter of one name gives a value, not a tuple"
        self.values = itemgetter(*names)

    def _document(self, rows: Sequence[Row]) -> str:
        return json.dumps(
            list(map(self.values, rows)),
            ensure_ascii=False,
            separators=(",", ":"),
            default=_sqlite_json,
        )

    async def insert(self, conn: AsyncConnection, rows: Sequence[Row]) -> None:
        await conn.exec_driver_sql(self.insert_sql, (self._document(rows),))

    async def upsert(self, conn: AsyncConnection, rows: Sequence[Row]) -> None:
        await conn.exec_driver_sql(self.upsert_sql, (self._document(rows),))


# -- the search index: the FTS5 table------------------------------------------------------

# Always over the live article view (``content``): a rebuild's fresh index is filled from its
# fresh rows by hand, and reads the live view only once renamed with it.
_INDEX = (
    "CREATE VIRTUAL TABLE {index} USING fts5(search_text, content='article_views',"
    " content_rowid='registered_position', tokenize='unicode61 remove_diacritics 0',"
    " detail=column)"
)
# The FTS5 table follows the article view row by row, in the statement that writes the row.
_TRIGGERS = (
    "CREATE TRIGGER {index}_insert AFTER INSERT ON {table} BEGIN"
    " INSERT INTO {index} (rowid, search_text)"
    " VALUES (new.registered_position, new.search_text); END",
    "CREATE TRIGGER {index}_delete AFTER DELETE ON {table} BEGIN"
    " INSERT INTO {index} ({index}, rowid, search_text)"
    " VALUES ('delete', old.registered_position, old.search_text); END",
    "CREATE TRIGGER {index}_update AFTER UPDATE OF search_text, registered_position"
    " ON {table} WHEN old.search_text IS NOT new.search_text"
    " OR old.registered_position IS NOT new.registered_position BEGIN"
    " INSERT INTO {index} ({index}, rowid, search_text)"
    " VALUES ('delete', old.registered_position, old.search_text);"
    " INSERT INTO {index} (rowid, search_text)"
    " VALUES (new.registered_position, new.search_text); END",
)
_TRIGGER_KINDS = ("insert", "delete", "update")


def _triggers(index: str, table: str) -> list[str]:
    return [trigger.format(index=index, table=table) for trigger in _TRIGGERS]


def _drop_triggers(index: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {index}_{kind}" for kind in _TRIGGER_KINDS]


def search_index_statements(index: str, table: str) -> list[str]:
    """The index over the live article view ``table``, filled from its rows."""
    return [
        _INDEX.format(index=index),
        *_triggers(index, table),
        f"INSERT INTO {index} ({index}) VALUES ('rebuild')",
    ]


def search_index_drop_statements(index: str) -> list[str]:
    return [*_drop_triggers(index), f"DROP TABLE IF EXISTS {index}"]


def fresh_search_index_statements(index: str, table: str) -> list[str]:
    """Filled from the fresh rows; triggers keep it in step with the rows still written."""
    return [
        _INDEX.format(index=index),
        f"INSERT INTO {index} (rowid, search_text)"
        f" SELECT registered_position, search_text FROM {table}",
        *_triggers(index, table),
    ]


def fresh_search_index_drop_statements(index: str) -> list[str]:
    return [f"DROP TABLE IF EXISTS {index}"]


def search_index_swap_statements(fresh: str, live: str, table: str) -> tuple[list[str], list[str]]:
    """Before: the live index and the fresh one's triggers out of the way. After: the fresh
    table under the live name, with the live triggers on the article view ``table``."""
    before = [*search_index_drop_statements(live), *_drop_triggers(fresh)]
    after = [f"ALTER TABLE {fresh} RENAME TO {live}", *_triggers(live, table)]
    return before, after


async def search_index_problem(conn: AsyncConnection, index: str) -> str | None:
    """FTS5's own integrity check, which compares the index with the article view's rows."""
    try:
        await conn.exec_driver_sql(
            f"INSERT INTO {index} ({index}, rank) VALUES ('integrity-check', 1)"
        )
    except DBAPIError as error:  # the engine's message is the finding
        return str(error.orig)
    return None


def writer(table: Table, dialect: Dialect) -> SQLiteWriter:
    return SQLiteWriter(table, dialect)
