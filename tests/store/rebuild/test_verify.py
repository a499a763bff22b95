"""Verification names the first article whose views differ from a replay; the `rebuild` and
`verify` commands report events and positions."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from graph.cli.main import app
from ledger.projections.tables import live_views
from ledger.replay.rebuild import rebuild, verify_projections
from ledger.store.sql_store import SQLEventStore
from tests.store.ledgers import view_tables_dump

TAMPERING = [
    (
        "discipline_scores",
        "UPDATE discipline_scores SET relevance_sum = relevance_sum + 1 "
        "WHERE article_id IN ('a3', 'a4') AND discipline = 'Physician'",
    ),
    ("article_views", "UPDATE article_views SET title = 'Tampered' WHERE article_id = 'a3'"),
    (
        "article_topics",
        "INSERT INTO article_topics (article_id, topic, ordinal, topic_key)"
        " VALUES ('a3', 'Forged', 9, 'forged')",
    ),
    ("active_ratings", "UPDATE active_ratings SET comment = 'forged' WHERE article_id = 'a3'"),
    ("subscriber_comments", "DELETE FROM subscriber_comments WHERE article_id = 'a3'"),
]


@pytest.mark.long(4)
@pytest.mark.parametrize("partitions", [1, 2])
@pytest.mark.parametrize(("table", "tampering"), TAMPERING, ids=[t for t, _ in TAMPERING])
async def test_verify_names_the_first_article_whose_view_was_tampered_with(
    store: SQLEventStore, engine: AsyncEngine, table: str, tampering: str, partitions: int
) -> None:
    tables = await view_tables_dump(engine)
    async with engine.begin() as conn:
        assert (await conn.execute(text(tampering))).rowcount >= 1

    report = await verify_projections(store, partitions=partitions)

    assert not report.ok
    assert report.first_article == "a3"
    first = report.mismatches[0]
    assert (first.table, first.article_id) == (table, "a3")
    assert first.table in {t.name for t in live_views.all()}
    if table == "discipline_scores":
        assert first.live is not None
        assert first.replayed is not None
        assert first.live["relevance_sum"] == first.replayed["relevance_sum"] + 1
        assert {m.article_id for m in report.mismatches} == {"a3", "a4"}
    if table == "subscriber_comments":
        assert first.live is None
        assert first.replayed is not None

    await rebuild(store, partitions=partitions)
    again = await verify_projections(store, partitions=partitions)
    assert again.ok, again.mismatches
    assert await view_tables_dump(engine) == tables


async def test_the_rebuild_and_verify_commands_report_events_and_positions(
    database_url: str, store: SQLEventStore, engine: AsyncEngine
) -> None:
    head = (await store.head()).position
    runner = CliRunner()

    rebuilt = await asyncio.to_thread(runner.invoke, app, ["rebuild", "--database", database_url])
    assert rebuilt.exit_code == 0, rebuilt.output
    line = re.fullmatch(
        r"ok: rebuilt from (\d+) events in \d+\.\d\d s \(([\d,]+|inf) events/s\)\n",
        rebuilt.stdout,
    )
    assert line is not None, rebuilt.stdout
    assert int(line.group(1)) == head

    verified = await asyncio.to_thread(runner.invoke, app, ["verify", "--database", database_url])
    assert verified.exit_code == 0, verified.output
    assert verified.stdout.splitlines() == [
        f"ok: {head} events",
        f"ok: views equal a replay at position {head}",
    ]

    async with engine.begin() as conn:
        await conn.execute(text(TAMPERING[0][1]))
    tampered = await asyncio.to_thread(runner.invoke, app, ["verify", "--database", database_url])
    assert tampered.exit_code == 1
    assert tampered.stdout.splitlines() == [
        f"ok: {head} events",
        "views differ from a replay: first at article a3 (table discipline_scores)",
    ]

    repaired = await asyncio.to_thread(runner.invoke, app, ["rebuild", "--database", database_url])
    assert repaired.exit_code == 0, repaired.output
    final = await asyncio.to_thread(runner.invoke, app, ["verify", "--database", database_url])
    assert final.exit_code == 0, final.output
    assert final.stdout.splitlines()[-1] == f"ok: views equal a replay at position {head}"
