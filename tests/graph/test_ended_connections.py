"""The service's connections ended under it (a restart of PostgreSQL, an administrator's
``pg_terminate_backend``): the next request is answered all the same, read or write, on a
new connection, and a write is made once.

The pool replaces a connection it hands out that asyncpg already knows closed. A request's
snapshot whose first read still finds its connection ended (the end arrived after the
checkout) is opened again on a new one: shown on an engine without that check. So are a
token's check and a write's look for an earlier answer under its key; a write transaction
that finds its connection ended before its commit is decided again on a new one, and so is
the catch-up a write makes of views left behind."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from graph.http.pages.documents import ARTICLE_PAGE
from graph.settings import Settings
from ledger.domain.commands import RegisterDiscipline
from ledger.projections.alerts import alerts_checkpoint
from ledger.projections.tables import ALERTS
from ledger.read.reader import Reader
from ledger.replay.rebuild import verify_projections
from ledger.store.db import async_url, create_engine
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases.sample import SAMPLE_ARTICLE_ID
from ledger.use_cases.sql_views import sql_ledger
from tests.backends import (
    ending_the_first,
    migrated_template,
    postgres_clone,
    restartable_postgres,
)
from tests.graph.conftest import Api, running, said_by_a_command
from tests.store.commands import EDITOR
from tests.store.ledgers import alerts_left_behind
from tests.streaming_replica import dsn

ROUNDS = 3

# Not a known page: read through the executor and the engine's pool.
TOPIC_NAMES = "{ topics { name } }"

ENROL = """
mutation Enrol($input: EnrollRaterInput!) {
  enrollRater(input: $input) {
    __typename
    ... on RaterPayload { rater { id } position }
  }
}
"""


async def _value(database_url: str, query: str) -> int:
    """A number read on a connection of the test's own (the engine's may be ended)."""
    connection = await asyncpg.connect(dsn(database_url))
    try:
        value: int = await connection.fetchval(query)
    finally:
        await connection.close()
    return value


async def _end_pooled_sessions(database_url: str, *, settled: bool = True) -> int:
    """End the engine's pooled sessions, idle between two requests: the unnamed ones, not
    the page reads' or the change listener's, nor this one. ``settled``: the next request
    comes once the service has read the ends; else at once, meeting them half read."""
    wait = "10000" if settled else "0"
    ended = await _value(
        database_url,
        f"SELECT count(pg_terminate_backend(pid, {wait})) FROM pg_stat_activity"
        " WHERE datname = current_database() AND application_name = ''"
        " AND pid <> pg_backend_pid()",
    )
    if settled:
        # The backends have exited (the call waits for them); the service's event loop reads
        # their ends in a few turns (the notice, then the closed socket), as it would
        # between two requests.
        for _ in range(10):
            await asyncio.sleep(0)
    return ended


@pytest.fixture
def database_url(migrated_postgresql_url: str) -> str:
    """PostgreSQL's: its sessions are what is ended."""
    return migrated_postgresql_url


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[Api]:
    async with running(Settings(database_url=database_url)) as api:
        yield api


async def test_a_read_whose_pooled_connection_was_ended_reads_on_a_new_one(
    api: Api, database_url: str
) -> None:
    """What a client sees, whichever way the end is found (at checkout, or by the read and
    its retry): each way alone is pinned by a test below."""
    expected = await api.http_data(TOPIC_NAMES)
    for _ in range(ROUNDS):
        assert await _end_pooled_sessions(database_url) >= 1
        api.app.state.response_cache.clear()
        response = await api.post(TOPIC_NAMES)
        assert response.status_code == 200, response.text
        assert response.json() == {"data": expected}


async def _head(database_url: str) -> int:
    return await _value(database_url, "SELECT position FROM ledger_head")


async def _enrol(api: Api, token: str, rater: str) -> dict[str, object]:
    variables = {
        "input": {"discipline": "Physician", "displayName": rater, "idempotencyKey": rater}
    }
    response = await api.post(ENROL, variables, token)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    answer: dict[str, object] = body["data"]["enrollRater"]
    return answer


async def test_a_write_after_the_pooled_connections_were_ended_is_answered_and_made_once(
    api: Api, database_url: str
) -> None:
    token = await api.token("editor")
    await _enrol(api, token, "rater before")
    for n in range(ROUNDS):
        assert await _end_pooled_sessions(database_url) >= 1
        before = await _head(database_url)
        answer = await _enrol(api, token, f"rater {n}")
        assert answer["__typename"] == "RaterPayload"
        assert await _head(database_url) == before + 1
        # The same request again: the first answer, nothing written twice.
        assert await _enrol(api, token, f"rater {n}") == answer
        assert await _head(database_url) == before + 1


# Requests sent as the sessions end: the server's notice of the end has been read, its closed
# socket not yet, and asyncpg refuses the next statement on the connection without calling it
# closed. Sent many times over, as the moment the end is met varies. (Half of them mutations
# with one token: far below its limit of 60 a minute.)
RACES = 40


async def test_requests_sent_just_as_the_pooled_sessions_end_are_answered(
    api: Api, database_url: str
) -> None:
    token = await api.token("editor")
    topics = await api.http_data(TOPIC_NAMES)
    for n in range(RACES):
        before = await _head(database_url)
        api.app.state.response_cache.clear()
        assert await _end_pooled_sessions(database_url, settled=False) >= 1
        if n % 2:
            assert await api.http_data(TOPIC_NAMES) == topics
            continue
        # A mutation: the token's check is its first statement.
        answer = await _enrol(api, token, f"rater {n}")
        assert answer["__typename"] == "RaterPayload"
        assert await _head(database_url) == before + 1


async def test_a_write_that_meets_an_ended_connection_is_made_once_on_a_new_one(
    database_url: str,
) -> None:
    # Without a key the transaction's first statement is the write's first; with one, the
    # look for an earlier answer under the key is.
    engine = create_engine(database_url)
    ledger = sql_ledger(SQLEventStore(engine))
    try:
        await ledger.execute(RegisterDiscipline("Discipline before"), actor=EDITOR)
        for n in range(RACES):
            before = await _head(database_url)
            key = f"discipline {n}" if n % 2 else None
            assert await _end_pooled_sessions(database_url, settled=False) >= 1
            await ledger.execute(
                RegisterDiscipline(f"Discipline {n}"), actor=EDITOR, idempotency_key=key
            )
            assert await _head(database_url) == before + 1
    finally:
        await engine.dispose()


# The first transaction to move the alerts' checkpoint ends its own session: in the test
# below, a catch-up's (a live append moves a checkpoint that is behind over no row).
END_THE_FIRST_ALERTS_MOVE = ending_the_first(
    "alerts_moves",
    f"AFTER UPDATE ON projection_checkpoints FOR EACH ROW WHEN (NEW.name = '{ALERTS}')",
)


async def test_a_catch_up_that_loses_its_connection_is_made_again_within_the_writes_attempts(
    database_url: str,
) -> None:
    engine = create_engine(database_url)
    store = SQLEventStore(engine)
    ledger = sql_ledger(store)
    try:
        await ledger.execute(RegisterDiscipline("Discipline before"), actor=EDITOR)
        async with engine.begin() as conn:
            await alerts_left_behind(conn)
            for statement in END_THE_FIRST_ALERTS_MOVE:
                await conn.exec_driver_sql(statement)
        before = await _head(database_url)

        await ledger.execute(RegisterDiscipline("Discipline after"), actor=EDITOR)

        assert await _head(database_url) == before + 1
        assert await _value(database_url, "SELECT last_value FROM alerts_moves") >= 2
        async with engine.connect() as conn:
            assert await alerts_checkpoint(conn) == before + 1
        report = await verify_projections(store)
        assert report.ok, report.mismatches[:3]
    finally:
        await engine.dispose()


TOPICS = text("SELECT DISTINCT topic FROM article_topics ORDER BY topic")


async def _topics(connection: AsyncConnection) -> list[str]:
    return list((await connection.execute(TOPICS)).scalars())


async def test_a_snapshot_whose_connection_was_ended_before_its_first_read_is_opened_again(
    database_url: str,
) -> None:
    # SQLAlchemy's own engine, without the service's check at checkout: the pooled
    # connection's end is found by the read itself, as when it arrives after the checkout.
    engine = create_async_engine(async_url(database_url))
    try:
        reader = Reader(engine)
        expected = await reader.run(_topics)
        await reader.finish()
        for _ in range(ROUNDS):
            assert await _end_pooled_sessions(database_url) >= 1
            reader = Reader(engine)
            assert await reader.run(_topics) == expected
            await reader.finish()
    finally:
        await engine.dispose()


async def test_after_postgresql_restarts_the_next_requests_are_answered() -> None:
    with restartable_postgres() as (server_url, restart):
        async with (
            migrated_template(server_url) as template,
            postgres_clone(server_url, template) as database_url,
            running(Settings(database_url=database_url)) as api,
        ):
            token = await api.token("editor")
            topics = await api.http_data(TOPIC_NAMES)
            page = await api.http_data(ARTICLE_PAGE, {"id": SAMPLE_ARTICLE_ID})
            for n in range(ROUNDS):
                await asyncio.to_thread(restart)
                api.app.state.response_cache.clear()
                assert await api.http_data(TOPIC_NAMES) == topics  # the engine's pool
                # The page reads' own pool (asyncpg's pool reopens what a restart closed).
                assert await api.http_data(ARTICLE_PAGE, {"id": SAMPLE_ARTICLE_ID}) == page
                answer = await _enrol(api, token, f"rater {n}")
                assert answer["__typename"] == "RaterPayload"


def test_a_command_whose_transaction_loses_its_connection_says_so_in_one_line(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async def ends_its_own_session(engine: AsyncEngine) -> None:
        async with SQLEventStore(engine).transaction() as tx:
            await tx.connection.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))

    assert said_by_a_command(database_url, ends_its_own_session, capsys) == (
        "error: database error: the connection to the database ended before the "
        "transaction's commit: nothing of it was written\n"
    )
