"""Reads from a streaming replica (``--replica-url``), with read-your-writes held while it
lags: a request sending a ``Ledger-Position`` the replica has not replayed is read from the
primary; one without, or whose position the replica has, is read from the replica."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import pytest

from graph.settings import Settings
from tests.graph.conftest import Api, running
from tests.graph.test_ratings_over_http import REVISE, SUBMIT, enrolled_rater, new_article
from tests.streaming_replica import Replication, dsn, new_replicated_database, streaming_replica

SCORE = "query($id: ID!) { article(id: $id) { disciplineScores { relevance } } }"


@pytest.fixture(scope="module")
def replication() -> Iterator[Replication]:
    with streaming_replica() as replication:
        yield replication


async def _until(check: Any) -> None:
    for _ in range(1000):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the replica never caught up")


@pytest.fixture
async def replica_of(replication: Replication) -> AsyncIterator[asyncpg.Connection]:
    """A superuser session on the replica (to pause and resume its replay)."""
    connection = await asyncpg.connect(dsn(replication.replica_url))
    yield connection
    await connection.execute("SELECT pg_wal_replay_resume()")
    await connection.close()


@pytest.fixture
async def api(replication: Replication) -> AsyncIterator[Api]:
    name = await new_replicated_database(replication)
    settings = Settings(
        database_url=replication.primary(name), replica_url=replication.replica(name)
    )
    async with running(settings) as started:
        yield started


async def relevance(api: Api, article: str, position: str | None = None) -> float:
    headers = {"ledger-position": position} if position is not None else {}
    response = await api.client.post(
        "/graphql", json={"query": SCORE, "variables": {"id": article}}, headers=headers
    )
    assert response.status_code == 200, response.text
    [score] = response.json()["data"]["article"]["disciplineScores"]
    value: float = score["relevance"]
    return value


async def rate(api: Api, token: str, document: str, article: str, value: int) -> str:
    response = await api.client.post(
        "/graphql",
        json={
            "query": document,
            "variables": {"input": {"articleId": article, "relevance": value, "newsworthiness": 4}},
        },
        headers={"authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    return response.headers["ledger-position"]


async def test_read_your_writes_holds_while_the_replica_lags(
    api: Api, replica_of: asyncpg.Connection
) -> None:
    replica = api.services.replica
    assert replica is not None
    editor = await api.token("editor")
    article = await new_article(api, editor)
    nurse = await enrolled_rater(api, editor, "nurse-1")
    first = await rate(api, nurse, SUBMIT, article, 3)

    async def replayed_first() -> bool:
        return await replica.has_replayed(int(first))

    await _until(replayed_first)
    await replica_of.execute("SELECT pg_wal_replay_pause()")

    written = await rate(api, nurse, REVISE, article, 6)

    assert not await replica.has_replayed(int(written))  # it lags, on purpose
    assert await relevance(api, article, position=written) == 6  # read from the primary
    # That answer is kept (it is newer than the replica's): drop it, to see where a request
    # without a position reads.
    api.app.state.response_cache.clear()
    assert await relevance(api, article) == 3  # no position sent: the replica, as it stands
    assert await relevance(api, article, position=first) == 3  # it has that one

    await replica_of.execute("SELECT pg_wal_replay_resume()")

    async def replayed_written() -> bool:
        return await replica.has_replayed(int(written))

    await _until(replayed_written)
    assert await relevance(api, article) == 6
    assert await relevance(api, article, position=written) == 6
