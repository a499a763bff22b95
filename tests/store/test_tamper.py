"""Tampering with stored events: refused by the database, and named by ``verify_chain``.

The first tests go through the append-only triggers and expect to be stopped. The rest drop
those triggers first, as someone with DDL rights could, and expect the hash chain to name
the first position that no longer holds.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Row, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner, Result

from graph.cli.main import app
from ledger.audit.chain import row_bytes, verify_chain
from ledger.store.canonical import chain_hash
from ledger.store.records import Actor, ChainReport, NewEvent
from ledger.store.sql_store import SQLEventStore
from ledger.store.tables import events
from ledger.use_cases.sample import load_sample
from ledger.use_cases.sql_views import sql_ledger

EDITOR = Actor("editor-1", "editor")
EVENT_COUNT = 10
MIDDLE = 5


def retracted(article: str, reason: str) -> NewEvent:
    return NewEvent("ArticleRetracted", {"article_id": article, "reason": reason})


async def fill_ledger(store: SQLEventStore) -> None:
    """Ten events over two streams: two multi-event appends, then interleaved single ones."""
    await store.append(
        "article:a1",
        0,
        [retracted("a1", f"reason {n}") for n in range(3)],
        actor=EDITOR,
        idempotency_key="first-batch",
        causation_id="cause-1",
    )
    await store.append(
        "article:a2", 0, [retracted("a2", f"reason {n}") for n in range(2)], actor=EDITOR
    )
    for n in range(5):
        stream = "article:a1" if n % 2 == 0 else "article:a2"
        await store.append(stream, None, [retracted(stream[-2:], f"later {n}")], actor=EDITOR)
    assert (await store.head()).position == EVENT_COUNT


async def all_rows(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(events).order_by(events.c.position))).all()
    return [tuple(row) for row in rows]


async def stored_row(engine: AsyncEngine, position: int) -> Row[Any]:
    async with engine.connect() as conn:
        return (await conn.execute(select(events).where(events.c.position == position))).one()


async def execute(engine: AsyncEngine, statement: Any, **params: Any) -> None:
    async with engine.begin() as conn:
        await conn.execute(statement, params)


async def drop_append_only_triggers(engine: AsyncEngine) -> None:
    if engine.dialect.name == "sqlite":
        statements = ["DROP TRIGGER events_refuse_update", "DROP TRIGGER events_refuse_delete"]
    else:
        statements = ["DROP TRIGGER events_refuse_update_delete ON events"]
    async with engine.begin() as conn:
        for statement in statements:
            await conn.execute(text(statement))


@pytest.fixture
async def filled(store: SQLEventStore) -> SQLEventStore:
    await fill_ledger(store)
    return store


@pytest.fixture
async def unguarded(filled: SQLEventStore) -> AsyncEngine:
    """A filled ledger whose append-only triggers are gone."""
    await drop_append_only_triggers(filled.engine)
    report = await verify_chain(filled.engine)
    assert report.ok, report
    return filled.engine


def assert_broken_at(report: ChainReport, position: int) -> None:
    assert not report.ok, report
    assert report.first_broken_position == position, report
    assert report.reason
    assert report.checked_events == position - 1, report


# --- the triggers refuse, and nothing changes ------------------------------------------------


async def assert_refused_and_unchanged(engine: AsyncEngine, statement: str) -> None:
    before = await all_rows(engine)
    with pytest.raises(DBAPIError, match="append-only"):
        await execute(engine, text(statement))
    assert await all_rows(engine) == before
    report = await verify_chain(engine)
    assert report.ok, report
    assert report.checked_events == EVENT_COUNT


async def test_a_raw_update_of_a_payload_is_refused_and_changes_nothing(
    filled: SQLEventStore,
) -> None:
    forged = '{"article_id":"a1","reason":"forged"}'
    await assert_refused_and_unchanged(
        filled.engine, f"UPDATE events SET payload = '{forged}' WHERE position = {MIDDLE}"
    )


async def test_a_raw_update_of_every_row_is_refused_and_changes_nothing(
    filled: SQLEventStore,
) -> None:
    await assert_refused_and_unchanged(filled.engine, "UPDATE events SET actor_id = 'intruder'")


async def test_a_raw_delete_of_an_event_is_refused_and_changes_nothing(
    filled: SQLEventStore,
) -> None:
    await assert_refused_and_unchanged(
        filled.engine, f"DELETE FROM events WHERE position = {MIDDLE}"
    )


async def test_emptying_the_whole_events_table_is_refused(filled: SQLEventStore) -> None:
    """TRUNCATE on PostgreSQL; on SQLite an unqualified DELETE (its truncate optimisation)."""
    if filled.engine.dialect.name == "postgresql":
        statement = "TRUNCATE events"
    else:
        statement = "DELETE FROM events"
    await assert_refused_and_unchanged(filled.engine, statement)


async def test_overwriting_a_stored_event_by_inserting_over_it_is_refused(
    filled: SQLEventStore,
) -> None:
    """An insert that resolves its conflict by replacing the stored row is a rewrite too.

    SQLite's REPLACE conflict resolution deletes the conflicting row without firing delete
    triggers (unless ``recursive_triggers`` is on), so it needs a guard of its own.
    """
    columns = ", ".join(column.name for column in events.columns)
    forged = '\'{"article_id":"a1","reason":"forged"}\''
    copy_of_middle = f"SELECT {columns.replace('payload', forged)} FROM events WHERE position = "
    if filled.engine.dialect.name == "postgresql":
        statements = [
            f"INSERT INTO events ({columns}) {copy_of_middle}{MIDDLE} "
            "ON CONFLICT (position) DO UPDATE SET payload = excluded.payload"
        ]
    else:
        new_position = "position + 100"
        statements = [
            f"INSERT INTO events ({columns}) {copy_of_middle}{MIDDLE} "
            "ON CONFLICT (position) DO UPDATE SET payload = excluded.payload",
            f"INSERT OR REPLACE INTO events ({columns}) {copy_of_middle}{MIDDLE}",
            # A new position, but the stream version of an existing row: REPLACE deletes it.
            f"REPLACE INTO events ({columns}) "
            f"{copy_of_middle.replace('SELECT position', f'SELECT {new_position}')}{MIDDLE}",
        ]
    before = await all_rows(filled.engine)
    accepted = []
    for statement in statements:
        try:
            await execute(filled.engine, text(statement))
        except DBAPIError as error:
            assert "append-only" in str(error.orig)
        else:
            accepted.append(statement)
    assert accepted == []
    assert await all_rows(filled.engine) == before
    assert (await verify_chain(filled.engine)).ok


# --- with the triggers dropped, verify_chain names the first broken position -----------------


@pytest.mark.parametrize("position", [1, MIDDLE, EVENT_COUNT])
async def test_a_changed_payload_is_named_as_the_first_broken_position(
    unguarded: AsyncEngine, position: int
) -> None:
    await execute(
        unguarded,
        text("UPDATE events SET payload = :payload WHERE position = :position"),
        payload='{"article_id":"a1","reason":"forged"}',
        position=position,
    )
    assert_broken_at(await verify_chain(unguarded), position)


async def test_a_payload_that_is_no_longer_json_is_named_as_broken(
    unguarded: AsyncEngine,
) -> None:
    await execute(
        unguarded,
        text("UPDATE events SET payload = 'not json' WHERE position = :position"),
        position=MIDDLE,
    )
    report = await verify_chain(unguarded)
    assert_broken_at(report, MIDDLE)
    assert report.reason is not None
    assert "cannot be read" in report.reason


@pytest.mark.parametrize(
    "respelled",
    [
        pytest.param('{"article_id": "a2", "reason": "reason 1"}', id="spaces"),
        pytest.param('{"reason":"reason 1","article_id":"a2"}', id="key-order"),
        pytest.param('{"article_id":"\\u0061\\u0032","reason":"reason 1"}', id="escapes"),
        # Parsers differ on duplicate keys: one that keeps the first reads "forged".
        pytest.param('{"article_id":"a2","reason":"forged","reason":"reason 1"}', id="dup-key"),
    ],
)
async def test_a_payload_rewritten_in_another_json_spelling_is_named_as_broken(
    unguarded: AsyncEngine, respelled: str
) -> None:
    """The stored text is what was hashed; the chain check says it is caught."""
    assert (
        await stored_row(unguarded, MIDDLE)
    ).payload == '{"article_id":"a2","reason":"reason 1"}'
    await execute(
        unguarded,
        text("UPDATE events SET payload = :payload WHERE position = :position"),
        payload=respelled,
        position=MIDDLE,
    )
    assert_broken_at(await verify_chain(unguarded), MIDDLE)


@pytest.mark.parametrize("position", [1, MIDDLE, EVENT_COUNT])
async def test_a_deleted_row_is_named_as_the_first_broken_position(
    unguarded: AsyncEngine, position: int
) -> None:
    await execute(
        unguarded, text("DELETE FROM events WHERE position = :position"), position=position
    )
    report = await verify_chain(unguarded)
    assert_broken_at(report, position)
    assert report.head_position == EVENT_COUNT


async def test_a_deleted_last_row_is_named_because_the_head_no_longer_matches(
    unguarded: AsyncEngine,
) -> None:
    await execute(
        unguarded, text("DELETE FROM events WHERE position = :position"), position=EVENT_COUNT
    )
    report = await verify_chain(unguarded)
    assert_broken_at(report, EVENT_COUNT)
    assert report.reason is not None
    assert "head" in report.reason


@pytest.mark.parametrize("position", [1, MIDDLE, EVENT_COUNT])
async def test_a_changed_hash_column_is_named_as_the_first_broken_position(
    unguarded: AsyncEngine, position: int
) -> None:
    await execute(
        unguarded,
        update(events).where(events.c.position == position).values(hash="f" * 64),
    )
    assert_broken_at(await verify_chain(unguarded), position)


@pytest.mark.parametrize(
    ("column", "forged"),
    [
        ("recorded_at", None),  # moved one microsecond, below
        ("actor_id", "someone-else"),
        ("actor_role", "admin"),
        ("correlation_id", "other-correlation"),
        ("causation_id", "other-cause"),
        ("idempotency_key", "other-key"),
        ("stream_id", "article:a9"),
        ("stream_version", 99),
        ("event_type", "ArticleTopicsChanged"),
        ("schema_version", 2),
    ],
)
async def test_a_changed_envelope_or_metadata_column_is_named_as_broken(
    unguarded: AsyncEngine, column: str, forged: object
) -> None:
    """Every column but the payload and the hash is covered too, metadata included."""
    position = 2  # written in the first append: it has an idempotency key and a causation id
    if column == "recorded_at":
        forged = (await stored_row(unguarded, position)).recorded_at + timedelta(microseconds=1)
    await execute(
        unguarded, update(events).where(events.c.position == position).values({column: forged})
    )
    assert getattr(await stored_row(unguarded, position), column) == forged
    assert_broken_at(await verify_chain(unguarded), position)


async def rewrite_with_recomputed_hash(engine: AsyncEngine, position: int) -> None:
    """Forge a payload and give the row the hash its new contents would have had."""
    await execute(
        engine,
        update(events)
        .where(events.c.position == position)
        .values(payload='{"article_id":"a2","reason":"forged"}'),
    )
    previous = (await stored_row(engine, position - 1)).hash
    forged_hash = chain_hash(previous, row_bytes(await stored_row(engine, position)))
    await execute(
        engine, update(events).where(events.c.position == position).values(hash=forged_hash)
    )


async def test_a_forged_event_with_a_recomputed_hash_breaks_its_successors_link(
    unguarded: AsyncEngine,
) -> None:
    await rewrite_with_recomputed_hash(unguarded, MIDDLE)
    assert_broken_at(await verify_chain(unguarded), MIDDLE + 1)


async def test_a_forged_last_event_with_a_recomputed_hash_is_named_by_the_head(
    unguarded: AsyncEngine,
) -> None:
    """Only the ledger head still holds the true hash of the last event: name that event."""
    await rewrite_with_recomputed_hash(unguarded, EVENT_COUNT)
    report = await verify_chain(unguarded)
    assert not report.ok, report
    assert report.first_broken_position == EVENT_COUNT, report


# --- an intact ledger is not reported broken while it grows ----------------------------------


async def test_an_intact_ledger_verified_while_appends_continue_is_reported_ok(
    filled: SQLEventStore,
) -> None:
    """Appends commit the events and the head together; a verifier must never see a gap."""
    stop = asyncio.Event()

    async def keep_appending(stream: str) -> int:
        appended = 0
        while not stop.is_set():
            await filled.append(stream, None, [retracted(stream[-2:], "more")], actor=EDITOR)
            appended += 1
        return appended

    writers = [asyncio.create_task(keep_appending(s)) for s in ("article:b1", "article:b2")]
    try:
        reports = [await verify_chain(filled.engine) for _ in range(40)]
    finally:
        stop.set()
        appended = sum(await asyncio.gather(*writers))
    assert appended > 0
    broken = [report for report in reports if not report.ok]
    assert broken == [], f"{len(broken)} of {len(reports)} false alarms, e.g. {broken[0]}"
    final = await verify_chain(filled.engine)
    assert final.ok
    assert final.checked_events == EVENT_COUNT + appended


# --- the same through the command line -------------------------------------------------------


def invoke_verify(database_url: str) -> Result:
    return CliRunner().invoke(app, ["verify", "--database", database_url])


async def run_verify(database_url: str) -> Result:
    """The command calls asyncio.run, so it runs on a thread of its own."""
    return await asyncio.to_thread(invoke_verify, database_url)


async def test_the_verify_command_prints_the_event_count_of_an_intact_ledger(
    store: SQLEventStore, database_url: str
) -> None:
    await load_sample(sql_ledger(store))
    events_in_sample = (await store.head()).position
    result = await run_verify(database_url)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"ok: {events_in_sample} events",
        f"ok: views equal a replay at position {events_in_sample}",
    ]


async def test_the_verify_command_says_when_the_views_are_behind_the_ledger(
    filled: SQLEventStore, database_url: str
) -> None:
    # Appended straight to the store, past the use cases: nothing projected them.
    result = await run_verify(database_url)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"ok: {EVENT_COUNT} events",
        f"views are behind the ledger: at position 0 of {EVENT_COUNT}; "
        "run `evidence-ledger rebuild`",
    ]


async def test_the_verify_command_prints_ok_for_an_empty_ledger(database_url: str) -> None:
    result = await run_verify(database_url)
    assert result.exit_code == 0, result.output
    chain_line, *other_checks = result.stdout.splitlines()
    assert chain_line == "ok: 0 events"
    assert all(line.startswith("ok: ") for line in other_checks), result.stdout


async def test_the_verify_command_names_a_changed_payload_and_exits_non_zero(
    unguarded: AsyncEngine, database_url: str
) -> None:
    await execute(
        unguarded,
        text("UPDATE events SET payload = :payload WHERE position = :position"),
        payload='{"article_id":"a1","reason":"forged"}',
        position=MIDDLE,
    )
    result = await run_verify(database_url)
    assert result.exit_code != 0
    assert result.stdout.startswith(f"broken: position {MIDDLE}: ")
    assert len(result.stdout.splitlines()) == 1, result.stdout


async def test_the_verify_command_names_a_deleted_last_row_and_exits_non_zero(
    unguarded: AsyncEngine, database_url: str
) -> None:
    await execute(
        unguarded, text("DELETE FROM events WHERE position = :position"), position=EVENT_COUNT
    )
    result = await run_verify(database_url)
    assert result.exit_code != 0
    assert result.stdout.startswith(f"broken: position {EVENT_COUNT}: ")
