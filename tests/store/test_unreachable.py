"""What counts as the database out of reach (``ledger.store.unreachable``): the network's
errors as the drivers and the pool raise them, a session PostgreSQL would not open or ended,
a transaction lost on every attempt; not an error of the app's own files or timers, not a
database that answers with a refusal, and never a commit of unknown outcome."""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from ledger.store.db import create_engine
from ledger.store.event_store import CommitUnknown, TransactionLost
from ledger.store.unreachable import Outage, unreachable
from tests.streaming_replica import dsn


def _closed_port() -> int:
    """A loopback port nothing listens on: a connection to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _nowhere(database_url: str) -> str:
    url = make_url(database_url).set(host="127.0.0.1", port=_closed_port(), query={})
    return url.render_as_string(hide_password=False)


async def _raised_by(work: object) -> BaseException:
    try:
        await work  # type: ignore[misc]
    except Exception as error:
        return error
    raise AssertionError("nothing was raised")


async def test_a_refused_connection_is_out_of_reach_through_the_driver_and_the_pool(
    migrated_postgresql_url: str,
) -> None:
    nowhere = _nowhere(migrated_postgresql_url)
    assert unreachable(await _raised_by(asyncpg.connect(dsn(nowhere))))
    engine = create_engine(nowhere)
    try:

        async def through_the_pool() -> None:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))

        assert unreachable(await _raised_by(through_the_pool()))
    finally:
        await engine.dispose()


async def test_a_database_that_answers_with_a_refusal_is_not_out_of_reach(
    migrated_postgresql_url: str,
) -> None:
    missing = make_url(migrated_postgresql_url).set(database=f"no_{uuid.uuid4().hex}")
    refused = await _raised_by(asyncpg.connect(dsn(missing.render_as_string(False))))
    assert getattr(refused, "sqlstate", None) == "3D000"  # no such database
    assert not unreachable(refused)
    engine = create_engine(migrated_postgresql_url)
    try:

        async def a_wrong_statement() -> None:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT * FROM no_such_table"))

        assert not unreachable(await _raised_by(a_wrong_statement()))
    finally:
        await engine.dispose()


async def test_the_apps_own_files_and_timers_are_not_the_database(tmp_path: Path) -> None:
    async def a_missing_page() -> None:
        (tmp_path / "index.html").read_text()

    async def a_timer_of_its_own() -> None:
        async with asyncio.timeout(0):
            await asyncio.sleep(1)

    assert not unreachable(await _raised_by(a_missing_page()))
    assert not unreachable(await _raised_by(a_timer_of_its_own()))


async def test_the_apps_own_error_inside_sqlalchemys_machinery_is_not_the_database(
    migrated_postgresql_url: str, tmp_path: Path
) -> None:
    """As the append and the migrations run: the app's code called back by SQLAlchemy."""
    engine = create_engine(migrated_postgresql_url)
    try:

        async def run_inside() -> None:
            async with engine.connect() as conn:
                await conn.run_sync(lambda _: (tmp_path / "missing.sql").read_text())

        assert not unreachable(await _raised_by(run_inside()))
    finally:
        await engine.dispose()


async def test_a_lost_transaction_is_out_of_reach_and_a_commit_of_unknown_outcome_is_not(
    migrated_postgresql_url: str,
) -> None:
    refused = await _raised_by(asyncpg.connect(dsn(_nowhere(migrated_postgresql_url))))
    assert unreachable(TransactionLost())

    async def lost_during_its_commit() -> None:
        raise CommitUnknown() from refused

    assert not unreachable(await _raised_by(lost_during_its_commit()))


async def test_an_outage_is_logged_as_it_begins_and_ends_and_other_failures_each_time(
    migrated_postgresql_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="tests.outage")
    outage = Outage(logging.getLogger("tests.outage"), "a pass")
    refused = await _raised_by(asyncpg.connect(dsn(_nowhere(migrated_postgresql_url))))
    for _ in range(3):
        outage.failed(refused)
    outage.succeeded()
    outage.succeeded()
    outage.failed(ValueError("a fault of the code"))
    # An outage whose first failure is not the database's being away is still said to begin.
    outage.succeeded()
    outage.failed(CommitUnknown())
    outage.failed(TransactionLost())
    outage.failed(TransactionLost())
    outage.succeeded()

    said = [(r.levelno, r.getMessage(), r.exc_info is not None) for r in caplog.records]
    assert said == [
        (logging.WARNING, f"a pass: the database cannot be reached ({refused!r})", False),
        (logging.DEBUG, f"a pass: the database is still away ({refused!r})", False),
        (logging.DEBUG, f"a pass: the database is still away ({refused!r})", False),
        (logging.WARNING, "a pass: working again after 3 failures", False),
        (logging.ERROR, "a pass failed; trying again", True),
        (logging.ERROR, "a pass failed; trying again", True),
        (logging.WARNING, f"a pass: the database cannot be reached ({TransactionLost()!r})", False),
        (logging.DEBUG, f"a pass: the database is still away ({TransactionLost()!r})", False),
        (logging.WARNING, "a pass: working again after 3 failures", False),
    ]
