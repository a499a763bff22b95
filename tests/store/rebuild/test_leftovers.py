"""What a killed or failed replay leaves behind (its fresh tables, its claim) is dropped by the
next rebuild, the `cleanup` command and the service's start, never while that replay runs."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from graph.app import create_app
from graph.settings import Settings
from ledger.projections.search_index import INDEX_NAME
from ledger.projections.tables import live_views
from ledger.replay.rebuild import rebuild, verify_projections
from ledger.store.db import create_engine
from ledger.store.sql_store import SQLEventStore
from tests.e2e.test_serve import CONSOLE_SCRIPT, child_environment
from tests.store.ledgers import bulk_comments
from tests.store.rebuild.history import BULK

# How often a killed rebuild is tried again when it ended before the kill landed (a replay
# of BULK events takes a fraction of a second once the command has started).
KILL_ATTEMPTS = 5
COMMAND_TIMEOUT = 120
LOOK_EVERY = 0.005


async def replay_tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        names: list[str] = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
    return {name for name in names if "_replay_" in name}


async def tables_of_a_killed_rebuild(database_url: str, engine: AsyncEngine) -> set[str]:
    """Run `evidence-ledger rebuild` and SIGKILL it as soon as its fresh tables exist;
    returns the tables it left behind."""
    for _ in range(KILL_ATTEMPTS):
        process = await asyncio.create_subprocess_exec(
            str(CONSOLE_SCRIPT),
            "rebuild",
            "--database",
            database_url,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=child_environment(),
        )
        try:
            await killed_once_its_tables_exist(process, engine)
        finally:
            if process.returncode is None:
                process.kill()
            await asyncio.wait_for(process.wait(), COMMAND_TIMEOUT)
        if left := await replay_tables(engine):
            assert process.returncode == -signal.SIGKILL
            return left
    pytest.fail(f"no rebuild of {KILL_ATTEMPTS} was killed while its replay tables existed")


async def killed_once_its_tables_exist(
    process: asyncio.subprocess.Process, engine: AsyncEngine
) -> None:
    """Until ``process`` ends, look for replay tables every few milliseconds; SIGKILL it when
    there are some."""
    while True:
        try:
            await asyncio.wait_for(process.wait(), LOOK_EVERY)
        except TimeoutError:
            if await replay_tables(engine):
                process.send_signal(signal.SIGKILL)
                return
        else:
            return


def claim_files(database_url: str) -> list[Path]:
    """SQLite: the files beside the database whose locks claim replay tables."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database is None:
        return []
    database = Path(url.database)
    return sorted(database.parent.glob(f"{database.name}_replay_*.lock"))


async def test_tables_left_by_a_killed_rebuild_are_dropped_by_the_next_rebuild(
    database_url: str, store: SQLEventStore, engine: AsyncEngine
) -> None:
    await bulk_comments(store, "a1", BULK)
    head = await store.head()
    left = await tables_of_a_killed_rebuild(database_url, engine)
    # Every fresh view table; and on SQLite the fresh search index's (FTS5's) tables too when
    # the kill landed after they were made, which a loaded machine's look every 5 ms can miss.
    made = {name.split("_replay_")[0] for name in left}
    assert made - {INDEX_NAME} == {t.name for t in live_views.all()}

    assert len(claim_files(database_url)) == (1 if engine.dialect.name == "sqlite" else 0)

    report = await rebuild(store)

    assert report.position == head.position
    assert await replay_tables(engine) == set()
    assert claim_files(database_url) == []
    verified = await verify_projections(store)
    assert verified.ok, verified.mismatches


def tables_seen_from_elsewhere(database_url: str) -> set[str]:
    """The replay tables, listed on an engine of its own on a thread of its own (for a caller
    that holds the event loop)."""

    async def listed() -> set[str]:
        engine = create_engine(database_url)
        try:
            return await replay_tables(engine)
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, listed()).result()


@pytest.mark.long(6)
async def test_the_cleanup_command_drops_a_killed_rebuilds_tables_and_keeps_a_running_replays(
    database_url: str, store: SQLEventStore, engine: AsyncEngine
) -> None:
    await bulk_comments(store, "a1", BULK)
    left = await tables_of_a_killed_rebuild(database_url, engine)
    seen: dict[str, set[str]] = {}
    cleanups: list[subprocess.CompletedProcess[str]] = []

    def clean_up_once(_events: int) -> None:
        """Called from inside the replay, while its tables exist: a cleanup in another
        process, the tables listed before and after it."""
        if cleanups:
            return
        seen["before"] = tables_seen_from_elsewhere(database_url)
        cleanups.append(
            subprocess.run(
                [str(CONSOLE_SCRIPT), "cleanup", "--database", database_url],
                capture_output=True,
                text=True,
                timeout=COMMAND_TIMEOUT,
                env=child_environment(),
                check=False,
            )
        )
        seen["after"] = tables_seen_from_elsewhere(database_url)

    verified = await verify_projections(store, progress=clean_up_once)

    [cleanup] = cleanups
    assert cleanup.returncode == 0, cleanup.stderr
    assert cleanup.stdout == (
        f"ok: dropped {len(left)} tables left by replays that no longer run;"
        " kept those of 1 still running\n"
    )
    running = seen["before"] - left
    assert len(running) == len(left), "the verification's replay tables were not there"
    assert seen["after"] == running
    assert verified.ok, verified.mismatches
    assert await replay_tables(engine) == set()


async def test_the_service_drops_at_start_the_tables_a_killed_rebuild_left(
    database_url: str, store: SQLEventStore, engine: AsyncEngine
) -> None:
    await bulk_comments(store, "a1", BULK)
    await tables_of_a_killed_rebuild(database_url, engine)
    service = create_app(Settings(database_url=database_url))

    async with service.router.lifespan_context(service):
        assert await replay_tables(engine) == set()


class ReplayInterrupted(Exception):
    pass


async def test_a_replay_that_fails_leaves_neither_its_tables_nor_its_claim(
    database_url: str, store: SQLEventStore, engine: AsyncEngine
) -> None:

    def interrupted(_events: int) -> None:
        raise ReplayInterrupted

    with pytest.raises(ReplayInterrupted):
        await verify_projections(store, progress=interrupted)

    assert await replay_tables(engine) == set()
    assert claim_files(database_url) == []
