"""Which replay tables belong to a replay still running, and which were left behind.

A replay (a rebuild or a verification) writes into fresh tables named ``<view>_replay_<hex>``
and drops them on its way out. A replay that is killed (SIGKILL, the machine going down)
never gets there, and its tables stay. To tell them from the tables of a replay still
running, each replay holds a claim on its suffix for as long as its tables may exist, and
the claim must end with the process however it ends, so it is a lock that the server or the
kernel releases, never a row or a pid someone would have to clear:

- PostgreSQL: a session advisory lock keyed by the suffix's hex, held on a connection of its
  own; the server releases it when the session ends, a killed client's included.
- SQLite: ``flock`` on a file beside the database, named after the suffix; the kernel releases
  it when the process ends. (An in-memory database ends with its process: nothing is left.)

The replay and its partition processes hold the claim shared. Whoever drops leftovers tries
to take it exclusively, without waiting, and drops only the tables whose claim it got.
"""

from __future__ import annotations

import fcntl
import glob
import os
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ledger.projections.tables import live_views

__all__ = ["abandoned", "claimed", "new_suffix", "release_file", "replay_suffixes"]

_HEX_DIGITS = 8
_SUFFIX = re.compile(rf"_replay_([0-9a-f]{{{_HEX_DIGITS}}})$")
# The first half of every advisory lock key taken here (the second is the suffix's hex), so
# these locks share no key with any other user of advisory locks in the same database.
_ADVISORY_CLASS = 0x5245504C  # "REPL"
_SHARED = text("SELECT pg_advisory_lock_shared(:class, :object)")
_UNLOCK_SHARED = text("SELECT pg_advisory_unlock_shared(:class, :object)")
_TRY_EXCLUSIVE = text("SELECT pg_try_advisory_lock(:class, :object)")
_UNLOCK = text("SELECT pg_advisory_unlock(:class, :object)")
_LOCK_FILE = "{database}{suffix}.lock"


def new_suffix() -> str:
    """The name ending of a new replay's tables."""
    return f"_replay_{uuid.uuid4().hex[:_HEX_DIGITS]}"


async def replay_suffixes(engine: AsyncEngine) -> set[str]:
    """The suffixes of the replay tables in the database (and, on SQLite, of the claim files
    beside it: a replay killed before it made its tables leaves only that)."""
    lock_files = _lock_files(engine)
    if engine.dialect.name == "sqlite" and lock_files is None:
        return set()
    live = {table.name for table in live_views.all()}
    async with engine.connect() as conn:
        names: list[str] = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
    found = {
        match.group(0)
        for name in names
        if (match := _SUFFIX.search(name)) and name.removesuffix(match.group(0)) in live
    }
    if lock_files is not None:
        directory, prefix = lock_files
        found |= {
            match.group(0)
            for path in directory.glob(f"{glob.escape(prefix)}_replay_*.lock")
            if (match := _SUFFIX.search(path.name.removesuffix(".lock")))
        }
    return found


@asynccontextmanager
async def claimed(engine: AsyncEngine, suffix: str) -> AsyncIterator[None]:
    """Hold the claim on ``suffix`` (shared: a replay's partitions hold it together)."""
    if engine.dialect.name == "postgresql":
        async with _advisory_session(engine) as conn:
            key = _key(suffix)
            await conn.execute(_SHARED, key)
            try:
                yield
            finally:
                await conn.execute(_UNLOCK_SHARED, key)
        return
    path = _lock_file(engine, suffix)
    if path is None:
        yield
        return
    with _flocked(path, fcntl.LOCK_SH) as held:
        assert held, "a shared claim is never refused without waiting"
        yield


@asynccontextmanager
async def abandoned(engine: AsyncEngine, suffix: str) -> AsyncIterator[bool]:
    """Whether no replay claims ``suffix`` any more; while True, none can claim it again.
    (SQLite: the claim file is removed on the way out.)"""
    if engine.dialect.name == "postgresql":
        async with _advisory_session(engine) as conn:
            key = _key(suffix)
            got = bool(await conn.scalar(_TRY_EXCLUSIVE, key))
            try:
                yield got
            finally:
                if got:
                    await conn.execute(_UNLOCK, key)
        return
    path = _lock_file(engine, suffix)
    if path is None:
        yield False
        return
    with _flocked(path, fcntl.LOCK_EX | fcntl.LOCK_NB) as got:
        yield got
        if got:
            path.unlink(missing_ok=True)


def release_file(engine: AsyncEngine, suffix: str) -> None:
    """Remove the claim file of a replay that ended and dropped its tables (SQLite)."""
    path = _lock_file(engine, suffix)
    if path is not None:
        path.unlink(missing_ok=True)


@asynccontextmanager
async def _advisory_session(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection of its own for a session lock, in autocommit: no transaction stays open
    (and holds back vacuum) while a replay runs."""
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn


def _key(suffix: str) -> dict[str, int]:
    match = _SUFFIX.search(suffix)
    assert match is not None, suffix
    value = int(match.group(1), 16)
    # The lock functions take signed 32-bit integers.
    return {"class": _ADVISORY_CLASS, "object": value - 2**32 if value >= 2**31 else value}


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


def _lock_files(engine: AsyncEngine) -> tuple[Path, str] | None:
    """The directory of the claim files, and the start of their names."""
    database = _database_path(engine)
    if database is None:
        return None
    path = Path(database)
    return path.parent, path.name


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
