"""The migrations create exactly the schema of ``ledger.projections.tables.metadata``, and undo
it completely."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, MetaData, String, Table, Text, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

import ledger.delivery.tables  # noqa: F401  (the outbox's tables join the same metadata)
from ledger.audit.chain import verify_chain
from ledger.domain.commands import (
    AssignDisciplines,
    EnrolRater,
    RegisterDiscipline,
    SetAlertProfile,
)
from ledger.projections.memory import MemoryViews
from ledger.projections.projector import Projector, catch_up
from ledger.projections.search_index import is_index_table
from ledger.projections.tables import live_views, metadata
from ledger.replay.rebuild import verify_projections
from ledger.store.canonical import GENESIS_HASH
from ledger.store.db import create_engine
from ledger.store.memory import MemoryEventStore
from ledger.store.migrate import alembic_config, downgrade, head_revision, upgrade
from ledger.store.records import Actor, NewEvent
from ledger.store.revision import HEAD_REVISION, current_revision, upgrade_to_head
from ledger.store.sql_store import SQLEventStore
from ledger.store.tables import appends, events, ledger_head
from ledger.use_cases.service import EvidenceLedger
from tests.backends import create_postgres_database, drop_postgres_database
from tests.store.ledgers import EDITOR, append_as_written, rater, register
from tests.store.test_old_assignments import as_version_1

LEDGER_TABLES = {"events", "ledger_head", "appends"}
MODEL_TABLES = set(metadata.tables)
TRIGGERS = {
    "sqlite": {"events_refuse_update", "events_refuse_delete"},
    "postgresql": {"events_refuse_update_delete", "events_refuse_truncate"},
}


@pytest.fixture
async def bare_engine(empty_database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a new database that no migration has touched."""
    engine = create_engine(empty_database_url)
    yield engine
    await engine.dispose()


def _modelled(name: str | None, kind: str, _parents: Any) -> bool:
    """The search engine's own index (``ledger.projections.search_index``) is made outside
    the models."""
    return name is None or kind not in {"table", "index"} or not is_index_table(name)


def differences(sync_conn: Connection, target: MetaData) -> list[Any]:
    context = MigrationContext.configure(
        sync_conn, opts={"compare_type": True, "include_name": _modelled}
    )
    return list(compare_metadata(context, target))


async def compare(engine: AsyncEngine, target: MetaData = metadata) -> list[Any]:
    async with engine.connect() as conn:
        return await conn.run_sync(differences, target)


async def table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
    return {name for name in names if not is_index_table(name)}


async def trigger_names(engine: AsyncEngine) -> set[str]:
    if engine.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    else:
        query = (
            "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND c.relname = 'events'"
        )
    async with engine.connect() as conn:
        return set((await conn.execute(text(query))).scalars())


async def head_rows(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    async with engine.connect() as conn:
        return [tuple(row) for row in (await conn.execute(select(ledger_head))).all()]


async def test_upgrade_to_head_creates_the_tables_triggers_and_revision(
    bare_engine: AsyncEngine,
) -> None:
    assert await table_names(bare_engine) == set()
    assert await current_revision(bare_engine) is None

    await upgrade(bare_engine)

    assert await table_names(bare_engine) == MODEL_TABLES | {"alembic_version"}
    assert LEDGER_TABLES <= MODEL_TABLES
    assert await trigger_names(bare_engine) >= TRIGGERS[bare_engine.dialect.name]
    assert await current_revision(bare_engine) == head_revision()


async def test_the_migrated_database_matches_the_models_exactly(bare_engine: AsyncEngine) -> None:
    await upgrade(bare_engine)
    assert await compare(bare_engine) == []


async def test_the_model_comparison_notices_a_missing_column_and_a_changed_type(
    bare_engine: AsyncEngine,
) -> None:
    """A control: an empty comparison above means something only if differences show up."""
    await upgrade(bare_engine)
    altered = MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.tables.values():
        table.to_metadata(altered)
    altered.tables["events"].append_column(Column("note", Text, nullable=True))
    altered.tables["appends"].c.fingerprint.type = String(65)

    found = await compare(bare_engine, altered)

    changes: set[tuple[str, str, str]] = set()
    for diff in found:
        if isinstance(diff, list):  # changes to one column: ("modify_type", schema, table, ...)
            changes.update((change[0], change[2], change[3]) for change in diff)
        elif diff[0] == "add_column":  # ("add_column", schema, table, Column)
            changes.add((diff[0], diff[2], diff[3].name))
    assert ("add_column", "events", "note") in changes, found
    assert ("modify_type", "appends", "fingerprint") in changes, found


async def test_the_check_constraints_of_the_models_are_created(bare_engine: AsyncEngine) -> None:
    """compare_metadata does not look at CHECK constraints; look at them here."""
    await upgrade(bare_engine)

    def checks(sync: Connection) -> dict[str, set[str | None]]:
        inspector = inspect(sync)
        return {
            name: {check["name"] for check in inspector.get_check_constraints(name)}
            for name in LEDGER_TABLES
        }

    async with bare_engine.connect() as conn:
        found = await conn.run_sync(checks)
    assert found == {
        "events": {"ck_events_position_positive", "ck_events_stream_version_positive"},
        "ledger_head": {"ck_ledger_head_single_row"},
        "appends": set(),
    }


async def test_upgrade_writes_the_genesis_head_row(bare_engine: AsyncEngine) -> None:
    await upgrade(bare_engine)
    assert await head_rows(bare_engine) == [(1, 0, GENESIS_HASH, None)]
    head = await SQLEventStore(bare_engine).head()
    assert (head.position, head.hash, head.recorded_at) == (0, "0" * 64, None)


async def test_a_second_upgrade_to_head_changes_nothing(bare_engine: AsyncEngine) -> None:
    await upgrade(bare_engine)
    store = SQLEventStore(bare_engine)
    await store.append(
        "article:a1",
        0,
        [NewEvent("ArticleRetracted", {"article_id": "a1", "reason": "fraud"})],
        actor=Actor("editor-1", "editor"),
    )
    head = await head_rows(bare_engine)

    await upgrade(bare_engine)

    assert await head_rows(bare_engine) == head
    assert len(await store.read_all()) == 1
    assert (await verify_chain(bare_engine)).ok


async def test_downgrade_to_base_removes_every_ledger_object(bare_engine: AsyncEngine) -> None:
    await upgrade(bare_engine)

    await downgrade(bare_engine)

    assert await table_names(bare_engine) <= {"alembic_version"}
    assert await trigger_names(bare_engine) == set()
    assert await current_revision(bare_engine) is None
    if bare_engine.dialect.name == "postgresql":
        async with bare_engine.connect() as conn:
            functions = await conn.scalar(
                text("SELECT count(*) FROM pg_proc WHERE proname = 'events_refuse_change'")
            )
        assert functions == 0


async def test_upgrade_after_downgrade_builds_a_working_ledger_again(
    bare_engine: AsyncEngine,
) -> None:
    await upgrade(bare_engine)
    await downgrade(bare_engine)

    await upgrade(bare_engine)

    assert await table_names(bare_engine) == MODEL_TABLES | {"alembic_version"}
    assert await compare(bare_engine) == []
    assert await head_rows(bare_engine) == [(1, 0, GENESIS_HASH, None)]
    store = SQLEventStore(bare_engine)
    result = await store.append(
        "article:a1",
        0,
        [NewEvent("ArticleRetracted", {"article_id": "a1", "reason": "fraud"})],
        actor=Actor("editor-1", "editor"),
    )
    assert result.first_position == 1
    with pytest.raises(DBAPIError, match="append-only"):
        async with bare_engine.begin() as conn:
            await conn.execute(text("DELETE FROM events"))
    assert (await verify_chain(bare_engine)).ok


@pytest.fixture
async def source_engine(
    empty_database_url: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    """A second database on the same backend, migrated to head."""
    server_url = None
    if empty_database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'source.db'}"
    else:
        server_url = request.getfixturevalue("postgres_server_url")
        url = await create_postgres_database(server_url)
    engine = create_engine(url)
    await upgrade(engine)
    yield engine
    await engine.dispose()
    if server_url is not None:
        await drop_postgres_database(server_url, url)


async def copy_ledger_rows(source: AsyncEngine, target: AsyncEngine) -> None:
    """The events, the ledger head and the idempotent appends of ``source`` (at head), written
    into ``target`` (at 0005) as 0005's own writers wrote them: ``appends`` without an actor."""
    async with source.connect() as conn:
        event_rows = [row._asdict() for row in (await conn.execute(select(events))).all()]
        head = (await conn.execute(select(ledger_head))).one()._asdict()
        keyed = [row._asdict() for row in (await conn.execute(select(appends))).all()]
    legacy_appends = Table(
        "appends",
        MetaData(),
        *(Column(column.name, column.type) for column in appends.c if column.name != "actor_id"),
    )
    for row in keyed:
        del row["actor_id"]
    async with target.begin() as conn:
        await conn.execute(events.insert(), event_rows)
        await conn.execute(legacy_appends.insert(), keyed)
        await conn.execute(ledger_head.update().values(head))


async def test_keys_stored_before_0006_replay_for_the_actor_who_sent_them(
    bare_engine: AsyncEngine, source_engine: AsyncEngine
) -> None:
    editor, rater = Actor("editor-1", "editor"), Actor("rater-1", "rater")
    source = SQLEventStore(source_engine)
    retraction = [NewEvent("ArticleRetracted", {"article_id": "a1", "reason": "fraud"})]
    first = await source.append(
        "article:a1", 0, retraction, actor=editor, idempotency_key="rating-1"
    )
    two = [
        NewEvent("ArticleRetracted", {"article_id": "b2", "reason": "one"}),
        NewEvent("ArticleRetracted", {"article_id": "b2", "reason": "two"}),
    ]
    second = await source.append("article:b2", 0, two, actor=rater, idempotency_key="mine")
    await upgrade(bare_engine, "0005")
    await copy_ledger_rows(source_engine, bare_engine)

    await upgrade(bare_engine)

    async with bare_engine.connect() as conn:
        owners = (await conn.execute(select(appends.c.idempotency_key, appends.c.actor_id))).all()
    assert sorted(owners) == [("mine", "rater-1"), ("rating-1", "editor-1")]
    store = SQLEventStore(bare_engine)
    replayed = await store.append(
        "article:a1", 0, retraction, actor=editor, idempotency_key="rating-1"
    )
    assert replayed.replayed
    assert dataclasses.replace(replayed, replayed=False) == first
    again = await store.append("article:b2", 0, two, actor=rater, idempotency_key="mine")
    assert (again.replayed, again.last_position) == (True, second.last_position)
    # The editor's old key is not the rater's: the rater's request with it is a new one.
    theirs = await store.append(
        "article:c3", 0, retraction, actor=rater, idempotency_key="rating-1"
    )
    assert (theirs.replayed, theirs.first_position) == (False, 4)
    assert (await verify_chain(bare_engine)).ok


async def test_downgrade_from_0006_keeps_the_earliest_append_of_a_key_used_by_two_actors(
    bare_engine: AsyncEngine,
) -> None:
    await upgrade(bare_engine)
    store = SQLEventStore(bare_engine)
    event = NewEvent("ArticleRetracted", {"article_id": "a1", "reason": "fraud"})
    await store.append("article:a1", 0, [event], actor=Actor("e1", "editor"), idempotency_key="k")
    await store.append("article:b2", 0, [event], actor=Actor("e2", "editor"), idempotency_key="k")

    await downgrade(bare_engine, "0005")

    async with bare_engine.connect() as conn:
        rows = (await conn.execute(text("SELECT idempotency_key, stream_id FROM appends"))).all()
    assert [tuple(row) for row in rows] == [("k", "article:a1")]
    await upgrade(bare_engine)
    assert await compare(bare_engine) == []
    again = await store.append(
        "article:a1", 0, [event], actor=Actor("e1", "editor"), idempotency_key="k"
    )
    assert again.replayed


async def test_0013_to_0015_keep_the_views_and_the_alerts_a_replay_decides(
    bare_engine: AsyncEngine,
) -> None:
    """A ledger written before assignments limited anything but requests (its assignment of
    version 1), where nurses rated an article assigned Physician only, as the code then let
    them, and a nurses' profile was alerted: taken back to 0012 and upgraded again, the row
    per assignment is filled from ``article_disciplines``, the alert stays due, and the
    views and alerts equal a replay of the log."""
    await upgrade(bare_engine)
    store = SQLEventStore(bare_engine)
    scratch = MemoryEventStore()
    ledger = EvidenceLedger(scratch, views=MemoryViews(scratch))
    for name in ("Physician", "Nurse"):
        await ledger.execute(RegisterDiscipline(name), actor=EDITOR)
    nurses = [f"n{number}" for number in range(3)]
    for rater_id in ["p0", *nurses]:
        discipline = "Physician" if rater_id == "p0" else "Nurse"
        await ledger.execute(EnrolRater(rater_id=rater_id, discipline=discipline), actor=EDITOR)
    await register(ledger, "a1")
    subscriber = Actor("s1", "subscriber")
    await ledger.execute(SetAlertProfile("s1", ["Nurse"], 5, 5, delivery="none"), actor=subscriber)
    await ledger.execute(AssignDisciplines("a1", ["Physician"]), actor=EDITOR)
    await append_as_written(scratch, store, as_version_1)
    version = await store.stream_version("article:a1")
    for number, rater_id in enumerate(nurses):
        rating = {
            "article_id": "a1", "rating_id": f"a1.r{version + number + 1}",
            "rater_id": rater_id, "discipline": "Nurse", "relevance": 6, "newsworthiness": 6,
            "comment": None, "newsworthiness_unknown": False, "beyond_expertise": False,
        }  # fmt: skip
        await store.append(
            "article:a1",
            version + number,
            [NewEvent("RatingSubmitted", rating, 2)],
            actor=rater(rater_id),
        )
    await catch_up(store, Projector(registry=store.registry))
    due = live_views.due_alerts
    async with bare_engine.connect() as conn:
        alerted = (await conn.execute(select(due.c.subscriber_id, due.c.discipline))).all()
    assert [tuple(row) for row in alerted] == [("s1", "Nurse")]

    await downgrade(bare_engine, "0012")
    await upgrade(bare_engine)

    async with bare_engine.connect() as conn:
        assigned = (await conn.execute(select(live_views.assigned_disciplines))).all()
        facts = await conn.scalar(select(live_views.alert_articles.c.assigned))
        still = (await conn.execute(select(due.c.subscriber_id, due.c.discipline))).all()
    assert [tuple(row) for row in assigned] == [("a1", "Physician")]
    assert facts is None  # a version 1 assignment left the alerts to every discipline
    assert still == alerted
    report = await verify_projections(store)
    assert report.ok, report.mismatches


def test_the_head_the_service_checks_against_is_alembics_head() -> None:
    assert head_revision() == HEAD_REVISION


async def test_the_revision_read_without_alembic_is_alembics_at_every_step(
    bare_engine: AsyncEngine,
) -> None:
    def alembics(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    scripts = ScriptDirectory.from_config(alembic_config())
    revisions = [script.revision for script in reversed(list(scripts.walk_revisions()))]
    seen = [await current_revision(bare_engine)]
    for revision in revisions:
        await upgrade(bare_engine, revision)
        async with bare_engine.connect() as conn:
            assert await conn.run_sync(alembics) == revision
        seen.append(await current_revision(bare_engine))

    assert seen == [None, *revisions]


async def test_upgrade_to_head_on_a_schema_at_head_changes_nothing(
    bare_engine: AsyncEngine,
) -> None:
    await upgrade_to_head(bare_engine)
    tables = await table_names(bare_engine)

    await upgrade_to_head(bare_engine)

    assert await current_revision(bare_engine) == HEAD_REVISION
    assert await table_names(bare_engine) == tables
