"""How a process learns of new positions: its own writes at once, another's on the next
``current`` that needs them, every position exactly once and in order, and no stale answer
while PostgreSQL's notification connection is down."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import event, text

from ledger.read import data_version
from ledger.read.changes import Change, ChangeLog, article_of_stream
from ledger.read.listened import MAX_RETRY_SECONDS, ListenedChanges, next_try_seconds
from ledger.store.db import create_engine
from ledger.store.sql_store import SQLEventStore
from tests.graph.conftest import RelayedDatabase
from tests.graph.feed.conftest import Process

A, B = frozenset({"a"}), frozenset({"b"})


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 20.0) -> None:
    """Wait for ``check`` (a notification arrives a moment after the commit)."""
    for _ in range(int(seconds / 0.02)):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("never happened")


def statements_of(process: Process) -> list[str]:
    """The statements ``process``'s engine sends from now on."""
    sent: list[str] = []
    engine = process.store.engine.sync_engine
    event.listen(engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    return sent


async def test_each_database_is_learnt_from_its_own_way(this_process: Process) -> None:
    """As the read backends choose: PostgreSQL's notifications, a SQLite file's counter."""
    way = {"postgresql": ListenedChanges, "sqlite": data_version.DataVersionChanges}
    assert type(this_process.changes) is way[this_process.store.engine.dialect.name]


async def test_a_write_of_this_process_is_learnt_as_it_commits(this_process: Process) -> None:
    start = await this_process.changes.current()

    result = await this_process.retract("a")

    # Before any ``current``: the commit itself told it.
    assert this_process.changes.position == result.last_position
    assert this_process.changes.changed_since(start, A)
    assert not this_process.changes.changed_since(start, B)


async def test_another_process_write_is_learnt_when_a_client_asks_for_its_position(
    this_process: Process, other_process: Process
) -> None:
    start = await this_process.changes.current()

    result = await other_process.retract("a")

    assert await this_process.changes.current(at_least=result.last_position) >= result.last_position
    assert this_process.changes.changed_since(start, A)
    assert not this_process.changes.changed_since(start, B)


async def test_another_process_write_is_learnt_without_being_asked_for(
    this_process: Process, other_process: Process
) -> None:
    result = await other_process.retract("b")

    async def learnt() -> bool:
        return await this_process.changes.current() >= result.last_position

    await eventually(learnt)


# On PostgreSQL another process's commit is learnt when its notification arrives, a
# moment later: the tests of the listener below say what holds there.
@pytest.mark.parametrize("backend", ["sqlite"])
async def test_sqlite_learns_another_connections_write_on_the_very_next_current(
    backend: str, this_process: Process, other_process: Process
) -> None:
    start = await this_process.changes.current()
    result = await other_process.retract("a")

    assert await this_process.changes.current() == result.last_position
    assert this_process.changes.changed_since(start, A)


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_sqlite_reads_another_connections_write_beside_the_engine(
    backend: str, this_process: Process, other_process: Process
) -> None:
    """On the change counter's own connection: no pooled connection, transaction or hop to
    the driver's thread for the few rows a write adds."""
    await this_process.changes.current()
    sent = statements_of(this_process)
    start = this_process.changes.position
    result = await other_process.retract("b")

    assert await this_process.changes.current() == result.last_position
    assert this_process.changes.changed_since(start, B)
    assert not this_process.changes.changed_since(start, A)
    assert sent == []


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_sqlite_reads_a_long_run_of_writes_through_the_engine_and_misses_none(
    backend: str, this_process: Process, other_process: Process, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(data_version, "READ_HERE", 2)
    await this_process.changes.current()
    sent = statements_of(this_process)
    start = this_process.changes.position
    results = [await other_process.retract(name) for name in ("a", "a", "b")]

    assert await this_process.changes.current() == results[-1].last_position
    assert this_process.changes.changed_since(start, A)
    assert this_process.changes.changed_since(results[1].last_position, B)
    assert not this_process.changes.changed_since(results[1].last_position, A)
    assert any("FROM events" in statement for statement in sent)


async def test_current_asks_the_database_nothing_while_nothing_was_committed(
    this_process: Process,
) -> None:
    await this_process.changes.current()
    sent = statements_of(this_process)

    for _ in range(5):
        await this_process.changes.current()

    assert sent == []


# SQLite's change counter moves with this process's own commits too: no such claim there.
@pytest.mark.parametrize("backend", ["postgresql"])
async def test_postgres_learns_its_own_write_without_a_statement(
    backend: str, this_process: Process
) -> None:
    await this_process.changes.current()
    result = await this_process.retract("a")
    sent = statements_of(this_process)

    assert await this_process.changes.current(at_least=result.last_position) == result.last_position
    assert sent == []


async def test_a_gap_in_what_was_learnt_is_filled_by_reading_the_log(
    this_process: Process, other_process: Process
) -> None:
    start = await this_process.changes.current()
    theirs = await other_process.retract("a")
    ours = await this_process.retract("b")
    assert ours.last_position == theirs.last_position + 1

    assert await this_process.changes.current() == ours.last_position
    # Nothing is learnt past a position still unknown: "a" is known with "b".
    assert this_process.changes.changed_since(start, A)
    assert [c.position for c in this_process.changes.remembered()] == [
        theirs.last_position,
        ours.last_position,
    ]


def test_a_change_learnt_ahead_of_one_unknown_is_held_until_the_gap_is_filled() -> None:
    log = ChangeLog()
    log.learn((), head=3)

    log.offer([Change(5, "b")])
    assert (log.position, log.has_gap) == (3, True)
    assert not log.changed_since(3, B)  # not learnt yet: 4 is unknown

    log.offer([Change(4, "a")])
    assert (log.position, log.has_gap) == (5, False)
    assert log.changed_since(4, B)
    assert not log.changed_since(4, A)


async def test_many_writers_learnt_exactly_once_each_in_order_as_the_log_has_them(
    this_process: Process, other_process: Process
) -> None:
    start = await this_process.changes.current()
    rng = random.Random(14)
    writes = [
        process.retract(rng.choice("abcdef"))
        for _ in range(25)
        for process in (this_process, other_process)
    ]
    results = await asyncio.gather(*writes)
    head = max(r.last_position for r in results)

    async def learnt() -> bool:
        return await this_process.changes.current() >= head

    await eventually(learnt)  # by notifications (PostgreSQL), not because a client asked

    log = await this_process.store.read_all(after=start, limit=1000)
    assert [c for c in this_process.changes.remembered() if c.position <= head] == [
        Change(e.position, article_of_stream(e.stream_id)) for e in log
    ]
    assert [e.position for e in log] == list(range(start + 1, head + 1))


async def _kill_listener(process: Process, killer: Process) -> int:
    changes = process.changes
    assert isinstance(changes, ListenedChanges)
    pid = changes.connection_pid
    assert pid is not None
    async with killer.store.engine.connect() as conn:
        assert await conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    return pid


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_killed_listener_is_never_trusted_while_it_is_down(
    backend: str, database_url: str, other_process: Process
) -> None:
    from tests.graph.feed.conftest import start_process, stop_process

    process = await start_process(database_url)
    changes = process.changes
    assert isinstance(changes, ListenedChanges)
    changes._retry_seconds = 3600.0  # stays down for the test
    try:
        await _kill_listener(process, other_process)

        async def noticed() -> bool:
            return changes.connection_pid is None

        await eventually(noticed)
        result = await other_process.retract("a")

        # No notification can come: ``current`` reads the log.
        assert await changes.current() == result.last_position
        assert not changes.listening
    finally:
        await stop_process(process)


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_killed_listener_reconnects_and_learns_what_it_missed(
    backend: str, this_process: Process, other_process: Process
) -> None:
    changes = this_process.changes
    assert isinstance(changes, ListenedChanges)
    start = await changes.current()
    old_pid = await _kill_listener(this_process, other_process)
    missed = await other_process.retract("a")  # perhaps while nobody listened

    async def reconnected() -> bool:
        return changes.connection_pid not in (None, old_pid)

    await eventually(reconnected)

    assert await changes.current() >= missed.last_position
    assert changes.changed_since(start, A)
    assert changes.listening  # trusted again, after one read of the log
    later = await other_process.retract("b")

    async def notified() -> bool:
        return changes.position >= later.last_position

    await eventually(notified)  # without ``current``: the new connection listens


def test_what_is_held_is_bounded_and_a_read_still_fills_the_gap() -> None:
    log = ChangeLog(history=2)
    log.learn((), head=1)

    log.offer([Change(3, "a"), Change(4, "b"), Change(5, "a")])  # one more than it keeps
    log.offer([])
    assert (log.position, log.has_gap) == (1, True)

    log.learn([Change(p, "a" if p % 2 else "b") for p in (2, 3, 4, 5)], head=5)
    assert (log.position, log.has_gap) == (5, False)
    assert log.changed_since(4, A)


async def test_an_outage_is_logged_when_it_begins_and_when_it_ends_not_at_each_attempt(
    relayed_database: RelayedDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="evidence_ledger.changes")
    engine = create_engine(relayed_database.url)
    changes = ListenedChanges(engine, retry_seconds=0.01)
    await changes.start()

    def said() -> list[str]:
        return [
            r.getMessage()
            for r in caplog.records
            if r.name == "evidence_ledger.changes" and r.levelno >= logging.WARNING
        ]

    try:
        await relayed_database.relay.cut()

        async def failed_again_and_again() -> bool:
            return changes.failed_attempts >= 5

        await eventually(failed_again_and_again)
        [interrupted] = said()
        assert interrupted.startswith("change notifications interrupted")
        assert sum("listening again failed" in r.getMessage() for r in caplog.records) >= 4

        relayed_database.relay.mend()

        async def listening() -> bool:
            return changes.connection_pid is not None

        await eventually(listening)
        _, back = said()
        assert back.startswith("change notifications back after")
        assert changes.failed_attempts == 0
        assert await changes.current() == (await SQLEventStore(engine).head()).position
    finally:
        await changes.close()
        await engine.dispose()


def test_attempts_to_listen_again_wait_longer_after_each_failure_up_to_a_bound() -> None:
    waits = [next_try_seconds(0.5, failures) for failures in range(8)]
    assert waits == [0.5, 0.5, 1.0, 2.0, 4.0, MAX_RETRY_SECONDS, MAX_RETRY_SECONDS, 5.0]
    assert next_try_seconds(3600.0, 6) == 3600.0  # never less than asked for
