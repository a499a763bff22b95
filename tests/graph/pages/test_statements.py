"""The fast path sends one statement per known page: no BEGIN/COMMIT pair around it, and
nothing through SQLAlchemy's execution (the statement text is built once, at import). On
PostgreSQL it goes on connections of its own, named, which the service's stop closes."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
import pytest

from graph.http.pages.documents import ARTICLE_LIST, ARTICLE_PAGE
from graph.settings import Settings
from ledger.read.pages import DriverReads, driver
from ledger.read.pages.driver import APPLICATION_NAME
from ledger.store.db import create_engine
from ledger.use_cases.sample import SAMPLE_ARTICLE_ID
from tests.graph.conftest import Api, running
from tests.graph.helpers import counting_statements
from tests.graph.pages.helpers import answered_fast
from tests.streaming_replica import dsn


@contextmanager
def driver_queries(api: Api) -> Iterator[list[str]]:
    """Every query asyncpg sends on the page reads' own connections (its query logger on
    each connection their pool holds: the pool has no hook to watch them otherwise)."""
    queries: list[str] = []

    def log(record: Any) -> None:
        queries.append(record.query)

    pool = api.services.page_reads._pool
    connections = [holder._con for holder in pool._holders if holder._con is not None]
    assert connections, "the pool keeps a connection open"
    for connection in connections:
        connection.add_query_logger(log)
    try:
        yield queries
    finally:
        for connection in connections:
            connection.remove_query_logger(log)


@pytest.mark.parametrize(
    ("query", "variables"),
    [(ARTICLE_PAGE, {"id": SAMPLE_ARTICLE_ID}), (ARTICLE_LIST, {"first": 20})],
    ids=["article", "list"],
)
async def test_a_known_page_is_one_statement_on_the_driver(
    api: Api, backend: str, query: str, variables: dict[str, Any]
) -> None:
    await api.post(query, variables)  # the pool's connections exist
    before = answered_fast(api)
    cache = api.app.state.response_cache

    async def ask() -> None:
        cache.clear()  # each request a miss: the fast path's own statement, not a kept answer
        assert (await api.post(query, variables)).status_code == 200

    with counting_statements(api) as through_sqlalchemy:
        if backend == "postgresql":
            with driver_queries(api) as sent:
                for _ in range(3):
                    await ask()
            assert len(sent) == 3, sent
            assert all(query.lstrip().startswith("SELECT") for query in sent), sent
        else:
            for _ in range(3):
                await ask()
    assert through_sqlalchemy == []
    assert answered_fast(api) == before + 3


@pytest.mark.parametrize("asked", ["no-such-article"])
async def test_an_unknown_article_costs_the_executor_its_own_statements(
    api: Api, asked: str
) -> None:
    # The fast path found nothing, so the executor answers (null) in its own statements.
    with counting_statements(api) as through_sqlalchemy:
        response = await api.post(ARTICLE_PAGE, {"id": asked})
    assert response.json() == {
        "data": {"article": None, "ratingScales": response.json()["data"]["ratingScales"]}
    }
    assert through_sqlalchemy


async def _page_sessions(database_url: str) -> list[str]:
    """The page reads' sessions open on the database (by their application name)."""
    connection = await asyncpg.connect(dsn(database_url))
    try:
        rows = await connection.fetch(
            "SELECT application_name FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name LIKE $1",
            f"{APPLICATION_NAME} %",
        )
    finally:
        await connection.close()
    return [row["application_name"] for row in rows]


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_the_page_reads_connections_are_named_and_closed_when_the_service_stops(
    backend: str, database_url: str
) -> None:
    async with running(Settings(database_url=database_url)) as api:
        api.app.state.response_cache.clear()
        before = answered_fast(api)
        assert (await api.post(ARTICLE_PAGE, {"id": SAMPLE_ARTICLE_ID})).status_code == 200
        assert answered_fast(api) == before + 1
        sessions = await _page_sessions(database_url)
        assert sessions == [f"{APPLICATION_NAME} {os.getpid()}"]
    # A session leaves pg_stat_activity a moment after its client has closed it.
    for _ in range(250):
        if not await _page_sessions(database_url):
            break
        await asyncio.sleep(0.02)
    assert await _page_sessions(database_url) == []


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_page_read_whose_connection_was_ended_is_sent_again_on_a_new_one(
    backend: str, database_url: str
) -> None:
    # Many times over: the server's notice of the end races the statement sent next, and the
    # pool may then hold a second connection that the same act ended and that looks alive.
    async with running(Settings(database_url=database_url)) as api:
        for _ in range(100):
            connection = await asyncpg.connect(dsn(database_url))
            try:  # an administrator ends the page reads' idle session (or the server restarts)
                ended = await connection.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND application_name LIKE $1",
                    f"{APPLICATION_NAME} %",
                )
            finally:
                await connection.close()
            assert ended >= 1
            api.app.state.response_cache.clear()
            before = answered_fast(api)
            response = await api.post(ARTICLE_PAGE, {"id": SAMPLE_ARTICLE_ID})
            assert response.status_code == 200, response.text
            assert response.json()["data"]["article"]["id"]
            assert answered_fast(api) == before + 1


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_page_read_that_runs_out_of_time_is_not_sent_again(
    backend: str, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A statement that took too long is not a lost connection: sent again, it would take
    # as long once more (and a timeout is an OSError, as a reset connection is).
    monkeypatch.setattr(driver, "WAIT_SECONDS", 0.2)
    engine = create_engine(database_url)
    reads = await DriverReads.open(engine)
    counter = await asyncpg.connect(dsn(database_url))
    try:
        # A sequence counts the sends: nextval is not undone when the statement is.
        await counter.execute("CREATE SEQUENCE page_sends")
        with pytest.raises(TimeoutError):
            await reads.fetch_row("SELECT nextval('page_sends'), pg_sleep(5)")
        assert await counter.fetchval("SELECT last_value FROM page_sends") == 1
    finally:
        await counter.close()
        await reads.close()
        await engine.dispose()
