"""The views on PostgreSQL: the bulk writer of a table's rows (compiled once, rows straight to
the driver, many by COPY), and the search index (a GIN index the server keeps in step)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Boolean, Table, insert, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.projections.fold import Row
from ledger.store.tables import UTCDateTime

__all__ = [
    "PostgresWriter",
    "fresh_search_index_drop_statements",
    "fresh_search_index_statements",
    "search_index_drop_statements",
    "search_index_problem",
    "search_index_statements",
    "search_index_swap_statements",
    "writer",
]

# From this many new rows, a table takes them by COPY: several times faster than an INSERT
# per row, even batched. Below it the round trips of a COPY are not worth it.
COPY_FROM = 200


def _aware(values: Iterable[datetime | None]) -> None:
    """``UTCDateTime``'s check: the driver sends an aware time as the instant it is."""
    for value in values:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetimes are refused: pass a timezone-aware UTC time")


def _boolean(values: Iterable[bool | None]) -> None:
    """``Boolean``'s check (its processor would pass a bool on as it is)."""
    for value in values:
        if value is not None and not isinstance(value, bool):
            raise TypeError(f"not a boolean: {value!r}")


# Each checks a whole column of a batch: one call per column, not one per value.
_CHECKS: tuple[tuple[type[Any], Callable[[Iterable[Any]], None]], ...] = (
    (UTCDateTime, _aware),
    (Boolean, _boolean),
)


class PostgresWriter:
    """A table's insert and upsert on PostgreSQL, compiled once, rows sent as tuples straight
    to the driver; many new rows go by COPY.

    SQLAlchemy's own executemany processes each row's parameters one by one in Python, which
    costs more than the database's work on a wide batch. Here the values go as they are:
    the views' types need no conversion for the driver, only checks (see ``_CHECKS``);
    a type that does is converted by its own bind processor.
    """

    def __init__(self, table: Table, dialect: Dialect) -> None:
        self.table = table
        names = [column.name for column in table.columns]
        pk = [column.name for column in table.primary_key]
        statement = postgresql.insert(table)
        upsert = statement.on_conflict_do_update(
            index_elements=pk,
            set_={n: statement.excluded[n] for n in names if n not in pk},
        )
        plain = insert(table).compile(dialect=dialect, column_keys=names)
        merged = upsert.compile(dialect=dialect, column_keys=names)
        self.insert_sql, self.insert_rows = str(plain), self._encoder(plain.positiontup, dialect)
        self.upsert_sql, self.upsert_rows = str(merged), self._encoder(merged.positiontup, dialect)
        self.names = names
        self.copy_rows = self._encoder(names, dialect)

    def _encoder(
        self, order: Sequence[str] | None, dialect: Dialect
    ) -> Callable[[Sequence[Row]], list[tuple[Any, ...]]]:
        assert order is not None
        assert len(order) > 1, "itemgetter of one name gives a value, not a tuple"
        get = itemgetter(*order)
        checks: list[tuple[int, Callable[[Iterable[Any]], None]]] = []
        processors: list[tuple[int, Callable[[Any], Any]]] = []
        for index, name in enumerate(order):
            column_type = self.table.c[name].type
            check = next((c for kind, c in _CHECKS if isinstance(column_type, kind)), None)
            if check is not None:
                checks.append((index, check))
                continue
            processor = column_type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors.append((index, processor))

        def encode(rows: Sequence[Row]) -> list[tuple[Any, ...]]:
            encoded = list(map(get, rows))
            for index, check in checks:
                check(map(itemgetter(index), encoded))
            if processors:
                for number, values in enumerate(encoded):
                    converted = list(values)
                    for index, process in processors:
                        converted[index] = process(converted[index])
                    encoded[number] = tuple(converted)
            return encoded

        return encode

    async def insert(self, conn: AsyncConnection, rows: Sequence[Row]) -> None:
        if len(rows) >= COPY_FROM:
            await self._copy(conn, rows)
            return
        await conn.exec_driver_sql(self.insert_sql, self.insert_rows(rows))

    async def upsert(self, conn: AsyncConnection, rows: Sequence[Row]) -> None:
        await conn.exec_driver_sql(self.upsert_sql, self.upsert_rows(rows))

    async def _copy(self, conn: AsyncConnection, rows: Sequence[Row]) -> None:
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        if not driver.is_in_transaction():
            # SQLAlchemy's asyncpg adapter sends BEGIN with its first statement; a COPY goes
            # around the adapter, so it must not be the first, or it would commit on its own.
            await conn.exec_driver_sql("SELECT 1")
        await driver.copy_records_to_table(
            self.table.name, records=self.copy_rows(rows), columns=self.names
        )


# -- the search index: a GIN index ----------------------------------------------------------

_INDEX = "CREATE INDEX {index} ON {table} USING gin (to_tsvector('simple'::regconfig, search_text))"
_VALID = text(
    "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
    " WHERE c.relname = :name AND c.relnamespace = current_schema()::regnamespace"
)


def search_index_statements(index: str, table: str) -> list[str]:
    return [_INDEX.format(index=index, table=table)]


def search_index_drop_statements(index: str) -> list[str]:
    return [f"DROP INDEX IF EXISTS {index}"]


def fresh_search_index_statements(index: str, table: str) -> list[str]:
    return [_INDEX.format(index=index, table=table)]


def fresh_search_index_drop_statements(index: str) -> list[str]:
    """Nothing: an index goes with its table."""
    return []


def search_index_swap_statements(fresh: str, live: str, table: str) -> tuple[list[str], list[str]]:
    """The live index goes with the live table; the fresh one takes its name."""
    return [], [f"ALTER INDEX {fresh} RENAME TO {live}"]


async def search_index_problem(conn: AsyncConnection, index: str) -> str | None:
    """Whether the index is there and usable (the server keeps it in step with its table)."""
    valid = await conn.scalar(_VALID, {"name": index})
    if valid is None:
        return f"the search index {index} is missing"
    return None if valid else f"the search index {index} is not valid"


def writer(table: Table, dialect: Dialect) -> PostgresWriter:
    return PostgresWriter(table, dialect)
