"""Several `serve` processes on one PostgreSQL: a write through one is read through another on
the very next request that sends its ``Ledger-Position``, also while the other's notification
connection is killed; `serve --workers 2` answers the same way."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.read.listened import APPLICATION_NAME
from ledger.store.db import create_engine
from ledger.use_cases.tokens import issue_token
from tests.backends import create_postgres_database, drop_postgres_database
from tests.e2e.test_serve import (
    CONSOLE_SCRIPT,
    Server,
    child_environment,
    kill_if_running,
    start_serve,
    wait_until_healthy,
)
from tests.streaming_replica import Replication, dsn, new_replicated_database, streaming_replica

NO_RATE_LIMITS = ("--mutations-per-minute", "0", "--address-mutations-per-minute", "0")
ROUNDS = 50

REGISTER = """
mutation($input: RegisterArticleInput!) {
  registerArticle(input: $input) { ... on ArticlePayload { article { id } } }
}
"""
ENROL = """
mutation($input: EnrollRaterInput!) { enrollRater(input: $input) { __typename } }
"""
RATE = """
mutation($input: %sRatingInput!) {
  %sRating(input: $input) { __typename ... on Error { code message } }
}
"""
SCORE = """
query($id: ID!) { article(id: $id) { disciplineScores { relevance ratingCount } } }
"""


@pytest.fixture
async def database(postgres_server_url: str) -> AsyncIterator[str]:
    url = await create_postgres_database(postgres_server_url)
    yield url
    await drop_postgres_database(postgres_server_url, url)


@pytest.fixture
async def engine(database: str) -> AsyncIterator[AsyncEngine]:
    """The test's own connection to the servers' database (tokens, killing sessions)."""
    engine = create_engine(database)
    yield engine
    await engine.dispose()


@pytest.fixture
def started(tmp_path: Path) -> Iterator[list[Server]]:
    servers: list[Server] = []
    yield servers
    for server in servers:
        kill_if_running(server)


def serve(started: list[Server], database: str, log: Path, *options: str) -> Server:
    server = start_serve(database, log, *NO_RATE_LIMITS, *options)
    started.append(server)
    wait_until_healthy(server)
    return server


async def call(
    client: httpx.AsyncClient,
    document: str,
    variables: dict[str, Any],
    token: str | None = None,
    position: str | None = None,
) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    if position is not None:
        headers["ledger-position"] = position
    response = await client.post(
        "/graphql", json={"query": document, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert "errors" not in response.json(), response.text
    return response


async def rated_article(client: httpx.AsyncClient, engine: AsyncEngine) -> tuple[str, str]:
    """An article and a rater who has rated it once; returns (article id, rater token)."""
    editor = (await issue_token(engine, "editor")).token
    fields = {"title": "Night shifts", "journal": "J", "studyType": "Cohort", "abstract": "A."}
    registered = await call(client, REGISTER, {"input": fields | {"topics": ["Sleep"]}}, editor)
    article: str = registered.json()["data"]["registerArticle"]["article"]["id"]
    enrol = {"raterId": "nurse-1", "discipline": "Nurse", "displayName": "N"}
    await call(client, ENROL, {"input": enrol}, editor)
    rater = (await issue_token(engine, "rater", rater_id="nurse-1")).token
    first = {"articleId": article, "relevance": 3, "newsworthiness": 1}
    await call(client, RATE % ("Submit", "submit"), {"input": first}, rater)
    return article, rater


async def revised_and_read(
    writer: httpx.AsyncClient, reader: httpx.AsyncClient, article: str, rater: str, n: int
) -> None:
    relevance = n % 5 + 3  # newsworthiness is asked above 2
    revision = {"articleId": article, "relevance": relevance, "newsworthiness": 4}
    written = await call(writer, RATE % ("Revise", "revise"), {"input": revision}, rater)
    position = written.headers["ledger-position"]

    read = await call(reader, SCORE, {"id": article}, position=position)

    [score] = read.json()["data"]["article"]["disciplineScores"]
    assert (score["relevance"], score["ratingCount"]) == (relevance, 1), f"round {n}"


async def kill_listener(engine: AsyncEngine, server: Server) -> None:
    name = f"{APPLICATION_NAME} {server.process.pid}"
    async with engine.connect() as conn:
        killed = await conn.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = :name"
            ),
            {"name": name},
        )
    assert killed == 1


async def test_a_rating_through_one_process_is_read_through_the_other_on_the_next_request(
    database: str, engine: AsyncEngine, started: list[Server], tmp_path: Path
) -> None:
    one = serve(started, database, tmp_path / "one.log")
    two = serve(started, database, tmp_path / "two.log")
    async with (
        httpx.AsyncClient(base_url=one.base_url, timeout=30) as through_one,
        httpx.AsyncClient(base_url=two.base_url, timeout=30) as through_two,
    ):
        article, rater = await rated_article(through_one, engine)
        for n in range(ROUNDS):
            if n == ROUNDS // 2:
                await kill_listener(engine, two)
            writer, reader = (through_one, through_two) if n % 2 else (through_two, through_one)
            await revised_and_read(writer, reader, article, rater, n)


async def test_serve_with_two_workers_answers_and_reads_its_writes(
    empty_database_url: str, started: list[Server], tmp_path: Path
) -> None:
    """On both backends: several processes on one SQLite file are allowed (WAL)."""
    workers = serve(started, empty_database_url, tmp_path / "workers.log", "--workers", "2")
    engine = create_engine(empty_database_url)
    try:
        async with httpx.AsyncClient(base_url=workers.base_url, timeout=30) as client:
            article, rater = await rated_article(client, engine)
            # Each request may reach either worker (a new connection each time).
            for n in range(20):
                async with httpx.AsyncClient(base_url=workers.base_url, timeout=30) as fresh:
                    await revised_and_read(client, fresh, article, rater, n)
    finally:
        await engine.dispose()
    output = workers.output()
    assert output.count("Application startup complete") == 2, output


def test_serve_refuses_a_replica_of_a_sqlite_database(tmp_path: Path) -> None:
    sqlite = f"sqlite:///{tmp_path / 'l.db'}"
    refused = subprocess.run(
        [str(CONSOLE_SCRIPT), "serve", "--database", sqlite, "--replica-url", "postgresql://r/db"],
        capture_output=True,
        text=True,
        timeout=60,
        env=child_environment(),
        check=False,
    )
    assert refused.returncode == 2
    assert "a replica is a PostgreSQL streaming replica" in refused.stderr


@pytest.fixture(scope="module")
def replication() -> Iterator[Replication]:
    with streaming_replica() as replication:
        yield replication


async def test_serve_with_a_replica_reads_the_primary_while_the_replica_lags(
    replication: Replication, started: list[Server], tmp_path: Path
) -> None:
    name = await new_replicated_database(replication)
    primary, replica = replication.primary(name), replication.replica(name)
    server = serve(started, primary, tmp_path / "serve.log", "--replica-url", replica)
    engine = create_engine(primary)
    on_replica = await asyncpg.connect(dsn(replica))
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
            article, rater = await rated_article(client, engine)
            await replayed(on_replica, await primary_head(engine))
            await on_replica.execute("SELECT pg_wal_replay_pause()")
            try:
                for n in range(5):  # the replica has none of these
                    await revised_and_read(client, client, article, rater, n)
                # No position: the replica. A document not asked before, since the primary's
                # answers to SCORE are kept (newer than the replica's) and would be served.
                stale = await call(
                    client, SCORE.replace("query(", "query Unkept("), {"id": article}
                )
                [score] = stale.json()["data"]["article"]["disciplineScores"]
                assert score["relevance"] == 3  # the first rating, as the replica has it
            finally:
                await on_replica.execute("SELECT pg_wal_replay_resume()")
    finally:
        await on_replica.close()
        await engine.dispose()


async def primary_head(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        head = await conn.scalar(text("SELECT position FROM ledger_head"))
    return int(head)


async def replayed(replica: asyncpg.Connection, position: int) -> None:
    for _ in range(1000):
        if await replica.fetchval("SELECT position FROM ledger_head") >= position:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the replica never caught up")
