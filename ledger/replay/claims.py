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

Each backend's way is in its module (``ledger.replay.sqlite``, ``ledger.replay.postgres``).

The replay and its partition processes hold the claim shared. Whoever drops leftovers tries
to take it exclusively, without waiting, and drops only the tables whose claim it got.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.projections.tables import live_views
from ledger.replay.backends import backend_of
from ledger.replay.naming import SUFFIX, new_suffix

__all__ = ["abandoned", "claimed", "new_suffix", "release_file", "replay_suffixes"]


async def replay_suffixes(engine: AsyncEngine) -> set[str]:
    """The suffixes of the replay tables in the database (and of the claims held outside
    it: on SQLite, a replay killed before it made its tables leaves only its claim file)."""
    outside = backend_of(engine.dialect).leftover_claims(engine)
    if outside is None:
        return set()
    live = {table.name for table in live_views.all()}
    async with engine.connect() as conn:
        names: list[str] = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
    found = {
        match.group(0)
        for name in names
        if (match := SUFFIX.search(name)) and name.removesuffix(match.group(0)) in live
    }
    return found | outside


@asynccontextmanager
async def claimed(engine: AsyncEngine, suffix: str) -> AsyncIterator[None]:
    """Hold the claim on ``suffix`` (shared: a replay's partitions hold it together)."""
    async with backend_of(engine.dialect).claimed(engine, suffix):
        yield


@asynccontextmanager
async def abandoned(engine: AsyncEngine, suffix: str) -> AsyncIterator[bool]:
    """Whether no replay claims ``suffix`` any more; while True, none can claim it again."""
    async with backend_of(engine.dialect).abandoned(engine, suffix) as gone:
        yield gone


def release_file(engine: AsyncEngine, suffix: str) -> None:
    """Clear what is left of the claim of a replay that ended and dropped its tables (SQLite:
    its file)."""
    backend_of(engine.dialect).release(engine, suffix)
