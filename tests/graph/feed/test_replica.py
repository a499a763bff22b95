"""Reads from a streaming replica (``--replica-url``), with read-your-writes held while it
lags: a request sending a ``Ledger-Position`` the replica has not replayed is read from the
primary; one without, or whose position the replica has, is read from the replica. A replica
that cannot be reached is read around (every request answered from the primary) and read
again once it is back."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, DBAPIError

from graph.settings import Settings
from ledger.read import replica as replica_module
from ledger.read.replica import Replica
from ledger.store.db import create_engine
from tests.graph.conftest import Api, running
from tests.graph.test_ratings_over_http import REVISE, SUBMIT, enrolled_rater, new_article
from tests.socket_relay import SocketRelay, relayed_url, socket_of
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


async def relevance(
    api: Api, article: str, position: str | None = None, document: str = SCORE
) -> float:
    headers = {"ledger-position": position} if position is not None else {}
    response = await api.client.post(
        "/graphql", json={"query": document, "variables": {"id": article}}, headers=headers
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


async def rated_and_replayed(api: Api) -> tuple[Replica, str, str, str]:
    """The service's replica, an article rated 3 by a nurse that the replica has replayed,
    the nurse's token and the rating's position."""
    replica = api.services.replica
    assert replica is not None
    editor = await api.token("editor")
    article = await new_article(api, editor)
    nurse = await enrolled_rater(api, editor, "nurse-1")
    first = await rate(api, nurse, SUBMIT, article, 3)
    await _until(lambda: replica.has_replayed(int(first)))
    return replica, article, nurse, first


async def test_read_your_writes_holds_while_the_replica_lags(
    api: Api, replica_of: asyncpg.Connection
) -> None:
    replica, article, nurse, first = await rated_and_replayed(api)
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


# Each a document not asked before: no kept answer of an earlier one is served instead.
_UNKEPT = (SCORE.replace("query(", f"query Unkept{n}(") for n in itertools.count())


@dataclass
class Relayed:
    """The service reading a replica through a relay, with an article whose score the
    replica (its replay paused) shows as 3 where the primary has 6."""

    api: Api
    relay: SocketRelay
    replica: Replica
    replica_url: str  # straight to the replica, around the relay
    article: str
    nurse: str  # the rater's token
    first: str  # the position of the rating of 3


@asynccontextmanager
async def relayed(
    replication: Replication, replica_of: asyncpg.Connection
) -> AsyncIterator[Relayed]:
    name = await new_replicated_database(replication)
    replica_url = make_url(replication.replica(name))
    relay = SocketRelay(socket_of(replica_url))
    through = relayed_url(replica_url, await relay.open())
    settings = Settings(
        database_url=replication.primary(name),
        replica_url=through.render_as_string(hide_password=False),
        # Far longer than the requests a test makes while it is away (about 0.1 s here).
        replica_retry_seconds=2.0,
    )
    try:
        async with running(settings) as api:
            replica, article, nurse, first = await rated_and_replayed(api)
            # The replica holds 3 and replays nothing more: a 3 can only have come from it.
            await replica_of.execute("SELECT pg_wal_replay_pause()")
            await rate(api, nurse, REVISE, article, 6)
            assert await relevance(api, article, document=next(_UNKEPT)) == 3
            yield Relayed(api, relay, replica, replication.replica(name), article, nurse, first)
    finally:
        await relay.close()


async def test_a_replica_that_cannot_be_reached_is_read_around_then_read_again_once_back(
    replication: Replication, replica_of: asyncpg.Connection
) -> None:
    async with relayed(replication, replica_of) as it:
        api, relay, replica, article, nurse = it.api, it.relay, it.replica, it.article, it.nurse
        await relay.cut()
        # A request without a position: its reads were to go to the replica (nothing asked
        # it whether it is there), on a connection now cut. The primary answers, and the
        # replica is left alone from then on.
        assert await relevance(api, article, document=next(_UNKEPT)) == 6
        assert replica.away
        attempts = relay.attempts
        now = 6
        for value in (7, 6, 7):
            assert await relevance(api, article, document=next(_UNKEPT)) == now
            written = await rate(api, nurse, REVISE, article, value)
            assert await relevance(api, article, written, document=next(_UNKEPT)) == value
            now = value
        assert relay.attempts == attempts  # not asked again at every request while away

        # Back, holding what the primary had then but not what comes next (replay paused
        # again): a read without a position shows the older value, so it came from it.
        await replica_of.execute("SELECT pg_wal_replay_resume()")
        await _until_replayed(it.replica_url, int(written))
        await replica_of.execute("SELECT pg_wal_replay_pause()")
        await rate(api, nurse, REVISE, article, 3)
        relay.mend()
        await _until(lambda: _usable(replica))
        assert await relevance(api, article, document=next(_UNKEPT)) == 7
        assert not replica.away
        assert relay.attempts > attempts


async def _usable(replica: Replica) -> bool:
    return replica.usable()


async def _until_replayed(replica_url: str, position: int) -> None:
    on_replica = await asyncpg.connect(dsn(replica_url))

    async def replayed() -> bool:
        return bool(await on_replica.fetchval("SELECT position FROM ledger_head") >= position)

    try:
        await _until(replayed)
    finally:
        await on_replica.close()


async def test_a_replica_never_reached_is_asked_again_only_after_its_time_away() -> None:
    now = [0.0]
    # Nothing listens on port 1 of the loopback: every connection is refused at once.
    engine = create_engine("postgresql://ledger@127.0.0.1:1/ledger")
    replica = Replica(engine, retry_seconds=2.0, clock=lambda: now[0])
    try:
        assert not await replica.has_replayed(1)  # refused: counted as away, not raised
        assert replica.away
        assert not replica.usable()
        now[0] += 1.9
        assert not replica.usable()
        now[0] += 0.2
        assert replica.usable()  # its time away is over: the next request asks again
        assert not await replica.has_replayed(1)
        assert replica.away  # refused again: away again
        assert not replica.usable()
        now[0] += 2.1
        # The code's own failure is not the replica's: the primary would raise it the same way.
        assert not replica.instead_of(ValueError("a read of its own went wrong"))
        assert replica.usable()
        # Nor are values the database refuses (a data exception), as the driver or SQLAlchemy
        # raise them: a request cannot send reads to the primary by what it asks for.
        refused_values = [
            asyncpg.exceptions.InvalidTextRepresentationError("invalid input syntax"),
            asyncpg.exceptions.NumericValueOutOfRangeError("value out of range"),
            asyncpg.exceptions.DataError("invalid input for query argument $1"),
        ]
        for refused in refused_values:
            assert not replica.instead_of(_as_sqlalchemy_raises(refused)), refused
            assert replica.usable(), refused
        assert not replica.instead_of(DataError("SELECT 1", None, ValueError("a bad value")))
        assert replica.usable()
        # Every failure of the database on a replica's read: the primary makes it. A hot
        # standby's cancellation leaves the replica in use; failing where the primary
        # answers (a table not there yet, a standby still starting, a database missing)
        # leaves it alone awhile.
        cases = [
            (asyncpg.exceptions.SerializationError("conflict with recovery"), True),
            (asyncpg.exceptions.DeadlockDetectedError("conflict with recovery"), True),
            (asyncpg.exceptions.QueryCanceledError("canceling statement"), True),
            (asyncpg.exceptions.UndefinedTableError("relation does not exist"), False),
            (asyncpg.exceptions.CannotConnectNowError("the system is starting up"), False),
            (asyncpg.exceptions.InvalidCatalogNameError("database does not exist"), False),
        ]
        for failure, stays_in_use in cases:
            assert replica.instead_of(_as_sqlalchemy_raises(failure))
            assert replica.usable() == stays_in_use, failure
            now[0] += 2.1
    finally:
        await replica.close()


def _as_sqlalchemy_raises(error: Exception) -> DBAPIError:
    """``error`` as a statement through the engine raises it: wrapped by SQLAlchemy."""
    return DBAPIError.instance("SELECT 1", None, error, type(error))


async def test_a_replica_that_stops_answering_is_found_out_within_its_time_limits(
    replication: Replication, replica_of: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replica_module, "CONNECT_SECONDS", 0.5)
    monkeypatch.setattr(replica_module, "READ_SECONDS", 0.5)
    async with relayed(replication, replica_of) as it:
        # Its connections open, but nothing comes back any more: the statement's time limit
        # ends the wait, and the primary answers.
        it.relay.stall()
        shown = await _within_limits(
            it.relay, relevance(it.api, it.article, document=next(_UNKEPT))
        )
        assert shown == 6
        assert it.replica.away
        # The snapshot given up was let go at once, not left waiting on its connection.
        assert it.replica.engine.sync_engine.pool.checkedout() == 0
        # A new connection would wait for an answer that never comes: its time limit.
        await _until(lambda: _usable(it.replica))
        assert not await _within_limits(it.relay, it.replica.has_replayed(int(it.first)))
        assert it.replica.away


T = TypeVar("T")


async def _within_limits(relay: SocketRelay, waited: Coroutine[Any, Any, T]) -> T:
    """``waited``, which the replica's time limits (0.5 s here) must end. Without them it
    would wait for ever on a statement (a read, once begun, is always waited for, even by a
    cancelled request) and asyncpg's minute on a connection: past a bound far above the
    limits and below that minute, the stalled connections are cut, so the test fails
    instead of hanging or passing late."""
    task = asyncio.ensure_future(waited)
    await asyncio.wait({task}, timeout=10)
    if not task.done():
        await relay.cut()
        await asyncio.gather(task, return_exceptions=True)
        raise AssertionError("the stalled replica was waited for past its time limits")
    return task.result()
