"""SQLite's writer thread: group commits, one stored text on both write paths, cancelled and
failed appends. (Racing writers on every store: ``tests/store/contract/races.py``.)"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
from datetime import UTC
from pathlib import Path

import pytest

from ledger.audit.chain import verify_chain
from ledger.domain.errors import IdempotencyKeyReused, WrongExpectedVersion
from ledger.store.db import create_engine
from ledger.store.migrate import upgrade
from ledger.store.records import Actor, AppendResult, NewEvent
from ledger.store.sql_store import SQLEventStore
from ledger.store.sqlite import SQLITE_BEGIN, sqlite_pragmas


async def test_sqlite_appends_queued_together_commit_together_and_refusals_take_nothing(
    tmp_path: Path,
) -> None:
    """SQLite's writer thread takes queued appends into one transaction: within it, an
    append refused (stale version, reused key) leaves nothing, and the others are stored."""
    engine = create_engine(f"sqlite:///{tmp_path / 'group.db'}")
    try:
        await upgrade(engine)
        store = SQLEventStore(engine)
        actor = Actor("writer", "editor")
        event = NewEvent("ArticleRetracted", {"article_id": "a", "reason": "r"})
        await store.append("article:shared", 0, [event], actor=actor, idempotency_key="first")
        other = NewEvent("ArticleRetracted", {"article_id": "b", "reason": "r"})
        attempts = [
            store.append(f"article:s{n}", 0, [event], actor=actor, idempotency_key=f"k{n}")
            for n in range(30)
        ] + [
            # Stale: the stream is at version 1.
            store.append("article:shared", 0, [event], actor=actor),
            # The key of another request.
            store.append("article:other", 0, [other], actor=actor, idempotency_key="first"),
            # The same request again: replayed, nothing written.
            store.append("article:shared", 0, [event], actor=actor, idempotency_key="first"),
        ]

        results = await asyncio.gather(*attempts, return_exceptions=True)

        stored, (stale, reused, replayed) = results[:30], results[30:]
        assert isinstance(stale, WrongExpectedVersion)
        assert isinstance(reused, IdempotencyKeyReused)
        assert isinstance(replayed, AppendResult)
        assert replayed.replayed
        assert all(isinstance(r, AppendResult) and not r.replayed for r in stored)
        log = await store.read_all(limit=100)
        assert [e.position for e in log] == list(range(1, 32))
        assert {e.stream_id for e in log} == {"article:shared"} | {
            f"article:s{n}" for n in range(30)
        }
        assert (await verify_chain(engine)).ok
    finally:
        await engine.dispose()

    assert not [t for t in threading.enumerate() if t.name == "ledger-sqlite-writer"]


async def test_both_sqlite_write_paths_store_the_same_text(tmp_path: Path) -> None:
    """The writer thread binds through the columns' own types: what it stores reads back
    exactly as what the async engine stores (times as naive UTC text, with microseconds)."""
    path = tmp_path / "paths.db"
    engine = create_engine(f"sqlite:///{path}")
    try:
        await upgrade(engine)
        store = SQLEventStore(engine)
        actor = Actor("writer", "editor")
        event = NewEvent("ArticleRetracted", {"article_id": "a", "reason": "r"})
        await store.append("article:thread", 0, [event], actor=actor, idempotency_key="t")
        async with store.transaction() as tx:
            await tx.append("article:engine", 0, [event], actor=actor, idempotency_key="e")
        stored = [await store.read_stream(s) for s in ("article:thread", "article:engine")]
    finally:
        await engine.dispose()

    with sqlite3.connect(path) as raw:
        times = raw.execute("SELECT recorded_at FROM events ORDER BY position").fetchall()
        keyed = raw.execute("SELECT recorded_at FROM appends ORDER BY first_position").fetchall()
        head = raw.execute("SELECT recorded_at FROM ledger_head").fetchall()
    pattern = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")
    assert all(pattern.fullmatch(text) for (text,) in [*times, *keyed, *head])
    assert [events[0].metadata.recorded_at.tzinfo for events in stored] == [UTC, UTC]


async def test_a_cancelled_append_still_queued_is_not_written(tmp_path: Path) -> None:
    """A caller that gives up before its append reached a transaction leaves nothing."""
    engine = create_engine(f"sqlite:///{tmp_path / 'cancel.db'}")
    blocker = create_engine(f"sqlite:///{tmp_path / 'cancel.db'}")
    try:
        await upgrade(engine)
        store = SQLEventStore(engine)
        actor = Actor("writer", "editor")
        event = NewEvent("ArticleRetracted", {"article_id": "a", "reason": "r"})
        # Another connection holds the write lock: the first append waits in BEGIN, the
        # second waits in the queue behind it.
        async with blocker.connect() as held:
            await held.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
            async with held.begin():
                first = asyncio.create_task(store.append("article:first", 0, [event], actor=actor))
                await asyncio.sleep(0.2)
                second = asyncio.create_task(
                    store.append("article:second", 0, [event], actor=actor)
                )
                await asyncio.sleep(0.1)
                second.cancel()
                await asyncio.sleep(0.1)
        await first
        with pytest.raises(asyncio.CancelledError):
            await second
        await store.append("article:third", 0, [event], actor=actor)

        log = await store.read_all()
        assert [e.stream_id for e in log] == ["article:first", "article:third"]
    finally:
        await engine.dispose()
        await blocker.dispose()


async def test_the_writer_reports_a_database_it_cannot_open_and_recovers(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'later' / 'ledger.db'}")
    try:
        store = SQLEventStore(engine)
        event = NewEvent("ArticleRetracted", {"article_id": "a", "reason": "r"})
        actor = Actor("writer", "editor")

        with pytest.raises(sqlite3.OperationalError):
            await asyncio.wait_for(store.append("article:a", 0, [event], actor=actor), 10)

        (tmp_path / "later").mkdir()
        await upgrade(engine)
        result = await store.append("article:a", 0, [event], actor=actor)
        assert result.first_position == 1
    finally:
        await engine.dispose()


def test_connections_opening_a_new_file_at_once_all_get_wal(tmp_path: Path) -> None:
    """Turning a new file into WAL reads its header and then writes it; a connection that
    loses that race is refused at once, whatever the busy timeout ("database is locked",
    seen as one of six ``migrate`` commands failing). Six connections open each of a hundred
    new files at the same moment: every one is set up, and every one is in WAL. (With
    ``PRAGMA journal_mode=WAL`` run plainly, about one round in five has a refusal.)"""
    rounds, at_once = 100, 6
    refusals: list[str] = []
    modes: list[str] = []

    def open_with_the_others(path: Path, together: threading.Barrier) -> None:
        connection = sqlite3.connect(path, check_same_thread=False)
        try:
            together.wait()
            sqlite_pragmas(connection)
            modes.append(connection.execute("PRAGMA journal_mode").fetchone()[0])
        except sqlite3.OperationalError as refused:
            refusals.append(str(refused))
        finally:
            connection.close()

    for round_ in range(rounds):
        together = threading.Barrier(at_once)
        path = tmp_path / f"new-{round_}.db"
        threads = [
            threading.Thread(target=open_with_the_others, args=(path, together))
            for _ in range(at_once)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert refusals == []
    assert modes == ["wal"] * (rounds * at_once)


async def test_a_connection_back_in_the_pool_with_a_transaction_open_is_rolled_back(
    tmp_path: Path,
) -> None:
    """The pool rolls back only a connection that has a transaction open (asked of SQLite,
    not by a rollback trip to the driver's thread each time): one given back holding the
    write lock lets it go, and what it wrote is not kept."""
    path = tmp_path / "reset.db"
    engine = create_engine(f"sqlite:///{path}")
    try:
        await upgrade(engine)
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            await driver.execute("BEGIN IMMEDIATE")
            await driver.execute("UPDATE ledger_head SET position = 99")
            assert driver.in_transaction
        # Given back: another connection, that waits for no lock, can write at once.
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            assert other.execute("SELECT position FROM ledger_head").fetchall() == [(0,)]
            other.execute("ROLLBACK")
        finally:
            other.close()
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            assert raw.driver_connection is not None
            assert not raw.driver_connection.in_transaction
    finally:
        await engine.dispose()
