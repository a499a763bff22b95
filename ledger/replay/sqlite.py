"""A replay on SQLite: windows read as one JSON document, constraint names that a rename
keeps, indexes made in the swap, and claims held by ``flock`` on a file beside the database
(the kernel releases it when the process ends, however it ends)."""

from __future__ import annotations

import fcntl
import glob
import json
import os
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Table, TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.schema import CreateIndex

from ledger.replay.naming import SUFFIX
from ledger.store.sqlite import database_file

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

# The window as one JSON document, built by the database, the payload embedded as it is
# stored (so parsed with the document, at C speed) and the time as the UTC text SQLite
# stores. One value comes back, not a row per event: the statement runs without Python's
# lock, on another core, while this thread folds the window before.
_DOCUMENT = (
    "SELECT json_group_array(json_array("
    "position, stream_version, event_type, schema_version, json(payload), recorded_at))"
    " FROM ({rows}) AS w"
)
_DOCUMENTS: dict[str, TextClause] = {}
_LOCK_FILE = "{database}{suffix}.lock"


def last_character() -> str:
    return "unicode(substr(stream_id, -1))"


def can_share(engine: AsyncEngine) -> bool:
    """Only a database file (not one in memory, nor one opened with driver options)."""
    return database_file(engine) is not None


async def read_rows(
    conn: AsyncConnection, rows: str, parameters: dict[str, Any]
) -> tuple[Sequence[Sequence[Any]], bool]:
    statement = _DOCUMENTS.get(rows)
    if statement is None:
        statement = _DOCUMENTS[rows] = text(_DOCUMENT.format(rows=rows))
    document = await conn.scalar(statement, parameters)
    found = json.loads(document) if document else []
    del document  # megabytes, not needed once parsed
    found.sort(key=itemgetter(0))  # json_group_array keeps the order, unpromised
    return found, False


def name_constraints(convention: dict[str, Any], suffix: str) -> None:
    """SQLite keeps constraint names in the table's own SQL, which a rename keeps: they are
    the live names from the start. (Index names are global; see ``after_rename``.)"""
    convention["live_table"] = lambda _constraint, table: table.name.removesuffix(suffix)
    for kind in ("pk", "uq", "ck", "fk"):
        convention[kind] = convention[kind].replace("%(table_name)s", "%(live_table)s")


def indexes_before_swap() -> bool:
    """No: SQLite cannot rename an index, so the live ones are made in the swap. (Its search
    index is a table, which it can rename: that one comes before.)"""
    return False


def analyze_statement(table: str) -> str | None:
    return None


async def after_rename(conn: AsyncConnection, live: Table, new: Table) -> None:
    for index in live.indexes:
        await conn.execute(CreateIndex(index))


@asynccontextmanager
async def claimed(engine: AsyncEngine, suffix: str) -> AsyncIterator[None]:
    path = _lock_file(engine, suffix)
    if path is None:  # an in-memory database ends with its process: nothing is left
        yield
        return
    with _flocked(path, fcntl.LOCK_SH) as held:
        assert held, "a shared claim is never refused without waiting"
        yield


@asynccontextmanager
async def abandoned(engine: AsyncEngine, suffix: str) -> AsyncIterator[bool]:
    """(The claim file is removed on the way out.)"""
    path = _lock_file(engine, suffix)
    if path is None:
        yield False
        return
    with _flocked(path, fcntl.LOCK_EX | fcntl.LOCK_NB) as got:
        yield got
        if got:
            path.unlink(missing_ok=True)


def release(engine: AsyncEngine, suffix: str) -> None:
    """Remove the claim file: a file left behind would outlive every claim on it."""
    path = _lock_file(engine, suffix)
    if path is not None:
        path.unlink(missing_ok=True)


def leftover_claims(engine: AsyncEngine) -> set[str] | None:
    """The claim files beside the database: a replay killed before it made its tables
    leaves only that."""
    database = _database_path(engine)
    if database is None:
        return None
    path = Path(database)
    return {
        match.group(0)
        for lock in path.parent.glob(f"{glob.escape(path.name)}_replay_*.lock")
        if (match := SUFFIX.search(lock.name.removesuffix(".lock")))
    }


def _database_path(engine: AsyncEngine) -> str | None:
    database = engine.url.database
    if not database or database == ":memory:" or engine.url.query.get("mode") == "memory":
        return None
    return database


def _lock_file(engine: AsyncEngine, suffix: str) -> Path | None:
    database = _database_path(engine)
    if database is None:
        return None
    return Path(_LOCK_FILE.format(database=database, suffix=suffix))


@contextmanager
def _flocked(path: Path, operation: int) -> Iterator[bool]:
    """``flock`` on ``path`` (created if need be); yields whether it was taken."""
    while True:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, operation)
        except BlockingIOError:
            os.close(descriptor)
            yield False
            return
        if _still_named(path, descriptor):
            break
        # Removed (by a cleanup that got it first) between the open and the lock: a lock
        # on a file no longer under that name would keep nobody out. Again, on the new one.
        os.close(descriptor)
    try:
        yield True
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)


def _still_named(path: Path, descriptor: int) -> bool:
    try:
        named = path.stat()
    except FileNotFoundError:
        return False
    opened = os.fstat(descriptor)
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)
