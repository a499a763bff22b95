"""A replay's fresh tables: made empty under a unique name, filled by the replay, indexed,
and swapped in for the live views (a rebuild) or dropped (a verification, or a replay that
failed); and the tables of replays that were killed, dropped later.

The fresh tables get their keys and unique constraints at once, their other indexes only
after the replay (``index``): a replay never reads by those, and keeping them up row by
row cost the server more than building them once, sorted, at the end (a replay on every
core leaves it no core of its own). They are claimed before they exist until after they
are gone (``ledger.replay.claims``), so that ``drop_abandoned_replays`` leaves them alone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Index, MetaData, Table, inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.schema import CreateIndex, CreateTable, DropTable

from ledger.projections.search_index import (
    fresh_index_drop_statements,
    fresh_index_statements,
    swap_statements,
)
from ledger.projections.tables import ViewTables, live_views, metadata, view_tables
from ledger.replay.backends import backend_of
from ledger.replay.claims import abandoned, claimed, new_suffix, release_file, replay_suffixes
from ledger.replay.naming import suffix_of
from ledger.replay.pipeline import together
from ledger.store.db import write_transaction
from ledger.store.sql_store import SQLEventStore

__all__ = [
    "LeftoverReport",
    "analyze",
    "drop_abandoned_replays",
    "fresh_tables",
    "fresh_views",
    "index",
    "swap",
]


@asynccontextmanager
async def fresh_views(store: SQLEventStore) -> AsyncIterator[ViewTables]:
    """Empty projection tables of a unique name, dropped again on the way out unless swapped
    in."""
    suffix = new_suffix()
    target = _fresh_metadata(store.engine, suffix)
    fresh = view_tables(target, suffix=suffix)
    try:
        async with claimed(store.engine, suffix):
            async with store.transaction() as tx:
                for table in fresh.all():
                    await tx.connection.execute(CreateTable(table))
            try:
                yield fresh
            finally:
                async with store.transaction() as tx:
                    await _drop(tx.connection, target, suffix)
    finally:
        # However the replay ended: a claim file left behind would outlive every claim on it.
        release_file(store.engine, suffix)


def fresh_tables(engine: AsyncEngine, suffix: str) -> ViewTables:
    """The fresh tables of the replay of ``suffix`` (for its partitions' processes)."""
    return view_tables(_fresh_metadata(engine, suffix), suffix=suffix)


@dataclass(frozen=True)
class LeftoverReport:
    """What ``drop_abandoned_replays`` found: the tables it dropped, and how many replays
    still running it left alone."""

    dropped: tuple[str, ...]
    running: int


async def drop_abandoned_replays(engine: AsyncEngine) -> LeftoverReport:
    """Drop the fresh tables of every replay that no longer runs (killed before it could drop
    them itself), never those of one that does."""
    dropped: list[str] = []
    running = 0
    for suffix in sorted(await replay_suffixes(engine)):
        async with abandoned(engine, suffix) as gone:
            if not gone:
                running += 1
                continue
            dropped += await _drop_replay_tables(engine, suffix)
    return LeftoverReport(tuple(dropped), running)


async def _drop_replay_tables(engine: AsyncEngine, suffix: str) -> list[str]:
    """Drop the tables of the replay of ``suffix`` that are still there; returns their names."""
    target = _fresh_metadata(engine, suffix)
    tables = [table.name for table in view_tables(target, suffix=suffix).all()]
    async with write_transaction(engine) as conn:
        present = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        await _drop(conn, target, suffix)
    return [name for name in tables if name in present]


async def _drop(conn: AsyncConnection, target: MetaData, suffix: str) -> None:
    """Drop the fresh tables still there, in the order their keys allow, and their index."""
    await conn.run_sync(target.drop_all)
    for statement in fresh_index_drop_statements(conn.dialect.name, suffix):
        await conn.exec_driver_sql(statement)


def _fresh_metadata(engine: AsyncEngine, suffix: str) -> MetaData:
    convention: dict[str, Any] = dict(metadata.naming_convention)
    backend_of(engine.dialect).name_constraints(convention, suffix)
    return MetaData(naming_convention=convention)


async def index(store: SQLEventStore, fresh: ViewTables) -> None:
    """The fresh tables' search index, and, where the backend renames indexes in the swap,
    their other indexes, each on a connection of its own, before the head is taken."""

    async def create_search_index() -> None:
        async with store.transaction() as tx:
            conn = tx.connection
            table = _quoted(conn.dialect, fresh.article_views)
            for statement in fresh_index_statements(conn.dialect.name, table, suffix_of(fresh)):
                await conn.exec_driver_sql(statement)

    async def create(index: Index) -> None:
        async with store.transaction() as tx:
            await tx.connection.execute(CreateIndex(index))

    steps = [create_search_index()]
    if backend_of(store.engine.dialect).indexes_before_swap():
        steps += [create(index) for table in fresh.all() for index in table.indexes]
    await together(*steps)


async def analyze(store: SQLEventStore, fresh: ViewTables) -> None:
    """The fresh tables' statistics where the engine keeps some, before the head is taken,
    a table to a connection at once."""
    backend, dialect = backend_of(store.engine.dialect), store.engine.dialect
    statements = [backend.analyze_statement(_quoted(dialect, table)) for table in fresh.all()]

    async def run(statement: str) -> None:
        async with store.transaction() as tx:
            await tx.connection.exec_driver_sql(statement)

    await together(*(run(statement) for statement in statements if statement is not None))


async def swap(conn: AsyncConnection, fresh: ViewTables) -> None:
    """Replace the live views by the fresh tables, renamed, with the live names for their
    indexes and constraints too (so the schema is exactly what the migrations made)."""
    backend = backend_of(conn.dialect)
    # The search index goes with the article view it indexes (``ledger.read.search``).
    before, after = swap_statements(conn.dialect.name, suffix_of(fresh))
    for statement in before:
        await conn.exec_driver_sql(statement)
    for live, new in zip(live_views.all(), fresh.all(), strict=True):
        await conn.execute(DropTable(live))
        await conn.exec_driver_sql(
            f"ALTER TABLE {_quoted(conn.dialect, new)} RENAME TO {_quoted(conn.dialect, live)}"
        )
        await backend.after_rename(conn, live, new)
    for statement in after:
        await conn.exec_driver_sql(statement)


def _quoted(dialect: Dialect, table: Table) -> str:
    return str(dialect.identifier_preparer.format_table(table))
