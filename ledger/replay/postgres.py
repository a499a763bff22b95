"""A replay on PostgreSQL: windows read as the driver's rows, indexes and statistics made
before the swap and renamed in it, and claims held as session advisory locks (the server
releases one when its session ends, a killed client's included)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Constraint, Table, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ledger.replay.naming import suffix_hex

__all__ = [
    "abandoned",
    "after_rename",
    "analyze_statement",
    "can_share",
    "claimed",
    "indexes_before_swap",
    "last_character",
    "leftover_claims",
    "name_constraints",
    "read_rows",
    "release",
]

# The window statements compiled for a driver, whose parameters are numbered: the SQL and
# the parameters' names in order, by driver and statement (compiled once, not once a window).
_COMPILED: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}
# The first half of every advisory lock key taken here (the second is the suffix's hex), so
# these locks share no key with any other user of advisory locks in the same database.
_ADVISORY_CLASS = 0x5245504C  # "REPL"
_SHARED = text("SELECT pg_advisory_lock_shared(:class, :object)")
_UNLOCK_SHARED = text("SELECT pg_advisory_unlock_shared(:class, :object)")
_TRY_EXCLUSIVE = text("SELECT pg_try_advisory_lock(:class, :object)")
_UNLOCK = text("SELECT pg_advisory_unlock(:class, :object)")


def last_character() -> str:
    return "ascii(right(stream_id, 1))"


def can_share(engine: AsyncEngine) -> bool:
    return True


async def read_rows(
    conn: AsyncConnection, rows: str, parameters: dict[str, Any]
) -> tuple[Sequence[Sequence[Any]], bool]:
    """The rows as they are, straight from the driver, which decodes them (the time to an
    aware UTC datetime) in C; each payload is parsed on its own. This process does about the
    work it does parsing a document of the window (SQLite's way), and the server, which
    shares the machine's cores with the replay, a quarter of the work of building one."""
    sql, names = _compiled(conn.dialect, rows)
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    return await driver.fetch(sql, *(parameters[name] for name in names)), True


def _compiled(dialect: Dialect, rows: str) -> tuple[str, tuple[str, ...]]:
    key = (dialect.driver, rows)
    compiled = _COMPILED.get(key)
    if compiled is None:
        statement = text(rows).compile(dialect=dialect)
        assert statement.positiontup is not None
        compiled = _COMPILED[key] = (statement.string, tuple(statement.positiontup))
    return compiled


def name_constraints(convention: dict[str, Any], suffix: str) -> None:
    """The fresh tables' own names; the swap renames them (``after_rename``)."""


def indexes_before_swap() -> bool:
    """Yes: each on a connection of its own, before the head is taken, renamed in the swap."""
    return True


def analyze_statement(table: str) -> str | None:
    """The fresh tables' statistics, before the head is taken: the planner would otherwise
    guess at the new live tables."""
    return f"ANALYZE {table}"


async def after_rename(conn: AsyncConnection, live: Table, new: Table) -> None:
    """The live names for the renamed table's constraints and indexes (so the schema is
    exactly what the migrations made)."""
    preparer = conn.dialect.identifier_preparer
    table = preparer.format_table(live)
    for old, name in _constraint_names(new, live, preparer.format_constraint):
        await conn.exec_driver_sql(f"ALTER TABLE {table} RENAME CONSTRAINT {old} TO {name}")
    for old, name in _index_names(new, live, preparer.format_index):
        await conn.exec_driver_sql(f"ALTER INDEX {old} RENAME TO {name}")


def _constraint_names(
    new: Table, live: Table, name: Callable[[Constraint], str | None]
) -> list[tuple[str, str]]:
    """(fresh name, live name) of each constraint, paired by kind and columns."""

    def by_shape(table: Table) -> dict[tuple[str, tuple[str, ...]], str]:
        named = {}
        for constraint in table.constraints:
            columns = tuple(c.name for c in getattr(constraint, "columns", ()))
            constraint_name = name(constraint)
            if constraint_name is not None:
                named[(type(constraint).__name__, columns)] = constraint_name
        return named

    fresh_names, live_names = by_shape(new), by_shape(live)
    assert fresh_names.keys() == live_names.keys(), (new.name, live.name)
    return [(fresh_names[shape], live_names[shape]) for shape in sorted(live_names)]


def _index_names(new: Table, live: Table, name: Callable[[Any], str]) -> list[tuple[str, str]]:
    """(fresh name, live name) of each index, paired by columns."""

    def by_columns(table: Table) -> dict[tuple[str, ...], str]:
        return {tuple(c.name for c in index.columns): name(index) for index in table.indexes}

    fresh_names, live_names = by_columns(new), by_columns(live)
    assert fresh_names.keys() == live_names.keys(), (new.name, live.name)
    return [(fresh_names[columns], live_names[columns]) for columns in sorted(live_names)]


@asynccontextmanager
async def claimed(engine: AsyncEngine, suffix: str) -> AsyncIterator[None]:
    async with _advisory_session(engine) as conn:
        key = _key(suffix)
        await conn.execute(_SHARED, key)
        try:
            yield
        finally:
            await conn.execute(_UNLOCK_SHARED, key)


@asynccontextmanager
async def abandoned(engine: AsyncEngine, suffix: str) -> AsyncIterator[bool]:
    async with _advisory_session(engine) as conn:
        key = _key(suffix)
        got = bool(await conn.scalar(_TRY_EXCLUSIVE, key))
        try:
            yield got
        finally:
            if got:
                await conn.execute(_UNLOCK, key)


def release(engine: AsyncEngine, suffix: str) -> None:
    """Nothing: the lock went with its session."""


def leftover_claims(engine: AsyncEngine) -> set[str] | None:
    """None outside the database: a claim lives in the server's session."""
    return set()


@asynccontextmanager
async def _advisory_session(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection of its own for a session lock, in autocommit: no transaction stays open
    (and holds back vacuum) while a replay runs."""
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn


def _key(suffix: str) -> dict[str, int]:
    value = suffix_hex(suffix)
    # The lock functions take signed 32-bit integers.
    return {"class": _ADVISORY_CLASS, "object": value - 2**32 if value >= 2**31 else value}
