"""A write whose connection ends during its commit (PostgreSQL): the process cannot tell
from the commit whether it was made. Both ways are made to happen here: the server ends the
session inside the commit (not made), or a relay lets the COMMIT through and loses its
answer (made).

A write with an idempotency key is decided again, and the key finds the first if it was
made: it is made once either way. A write without one is not sent again (it could be made
twice): it fails with ``CommitUnknown``, which the API tells as ``COMMIT_OUTCOME_UNKNOWN``,
never as "Unexpected error."."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from graph.http.guards import OUTCOME_UNKNOWN
from graph.settings import Settings
from ledger.domain.commands import (
    AssignDisciplines,
    ChangeTopics,
    Command,
    EnrolRater,
    RegisterArticle,
    RegisterDiscipline,
)
from ledger.replay.rebuild import verify_projections
from ledger.store.db import create_engine
from ledger.store.event_store import CommitUnknown, TransactionLost
from ledger.store.records import NewEvent
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases.service import EvidenceLedger
from ledger.use_cases.sql_views import sql_ledger
from tests.backends import ending_the_first
from tests.graph.conftest import RelayedDatabase, running, said_by_a_command
from tests.socket_relay import SocketRelay
from tests.store.commands import EDITOR
from tests.store.test_rating_requests import START, Clock, a_ledger
from tests.streaming_replica import dsn

# The first commit after the sequence (re)starts ends its own session: a deferred trigger
# runs inside the commit, before it is made.
END_THE_NEXT_COMMIT = ending_the_first(
    "commits_ended",
    "AFTER INSERT ON events DEFERRABLE INITIALLY DEFERRED FOR EACH ROW",
    kind="CONSTRAINT TRIGGER",
)
AGAIN = "ALTER SEQUENCE commits_ended RESTART"

ENROL = """
mutation Enrol($input: EnrollRaterInput!) {
  enrollRater(input: $input) {
    __typename
    ... on RaterPayload { rater { id } position replayed }
  }
}
"""


@pytest.fixture
def database_url(migrated_postgresql_url: str) -> str:
    return migrated_postgresql_url


async def _run(database_url: str, *statements: str) -> int | None:
    """Statements on a connection of the test's own; the last one's value."""
    connection = await asyncpg.connect(dsn(database_url))
    try:
        value = None
        for statement in statements:
            value = await connection.fetchval(statement)
    finally:
        await connection.close()
    return value


async def _head(database_url: str) -> int:
    head = await _run(database_url, "SELECT position FROM ledger_head")
    assert head is not None
    return head


async def _ended(database_url: str) -> int:
    """How many commits the trigger has seen since it was last armed."""
    seen = await _run(database_url, "SELECT last_value FROM commits_ended")
    assert seen is not None
    return seen


async def _verified(engine: AsyncEngine) -> None:
    report = await verify_projections(SQLEventStore(engine))
    assert report.ok, report.mismatches[:3]


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def _ledger(engine: AsyncEngine) -> EvidenceLedger:
    ledger = sql_ledger(SQLEventStore(engine))
    await ledger.execute(RegisterDiscipline("Discipline before"), actor=EDITOR)
    return ledger


async def test_a_keyed_write_whose_commit_the_server_ended_is_made_on_a_new_connection(
    database_url: str, engine: AsyncEngine
) -> None:
    ledger = await _ledger(engine)
    await _run(database_url, *END_THE_NEXT_COMMIT)
    before = await _head(database_url)

    result = await ledger.execute(
        RegisterDiscipline("Discipline after"), actor=EDITOR, idempotency_key="after"
    )

    assert await _ended(database_url) >= 2  # the first commit was ended, the second passed
    assert await _head(database_url) == before + 1
    assert (result.first_position, result.replayed) == (before + 1, False)
    await _verified(engine)


async def test_a_write_without_a_key_whose_commit_the_server_ended_is_not_sent_again(
    database_url: str, engine: AsyncEngine
) -> None:
    ledger = await _ledger(engine)
    await _run(database_url, *END_THE_NEXT_COMMIT)
    before = await _head(database_url)

    with pytest.raises(CommitUnknown):
        await ledger.execute(RegisterDiscipline("Discipline after"), actor=EDITOR)

    assert await _ended(database_url) == 1  # one commit, and no second try
    assert await _head(database_url) == before  # not made, this time
    # The next write is made as usual (the trigger is spent).
    await ledger.execute(RegisterDiscipline("Discipline after"), actor=EDITOR)
    assert await _head(database_url) == before + 1
    await _verified(engine)


@pytest.fixture
def relay(relayed_database: RelayedDatabase) -> SocketRelay:
    return relayed_database.relay


@pytest.fixture
async def relayed_engine(relayed_database: RelayedDatabase) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(relayed_database.url)
    yield engine
    await engine.dispose()


ARTICLE = "lostcommit"
CITATION = {
    "title": "A trial",
    "authors": ["Doe J"],
    "journal": "J",
    "study_type": "Cohort",
    "abstract": "Abstract.",
}

# Each decided again in its own way after its first commit was made and its answer lost:
# refused (the discipline exists), appended again (a new rater, whose append finds the key
# in the ledger's append function), or stale (the version it expected has moved).
AFTER_A_LOST_ANSWER = {
    "refused": RegisterDiscipline("Discipline after"),
    "appended again": EnrolRater(discipline="Discipline before", display_name="Dr After"),
    "stale": ChangeTopics(article_id=ARTICLE, topics=("Cardiology",), expected_version=1),
}


@pytest.mark.parametrize("command", AFTER_A_LOST_ANSWER.values(), ids=AFTER_A_LOST_ANSWER)
async def test_a_keyed_write_whose_commit_answer_was_lost_is_answered_from_its_key(
    database_url: str, relay: SocketRelay, relayed_engine: AsyncEngine, command: Command
) -> None:
    ledger = await _ledger(relayed_engine)
    await ledger.execute(
        RegisterArticle(article_id=ARTICLE, citation=CITATION, topics=("Oncology",)), actor=EDITOR
    )
    before = await _head(database_url)
    relay.lose_the_next_commit_answer()

    result = await ledger.execute(command, actor=EDITOR, idempotency_key="after")

    assert relay.commit_answers_lost == 1
    assert await _head(database_url) == before + 1  # made by the lost commit, and only there
    assert (result.first_position, result.replayed) == (before + 1, True)
    # The same answer as a retry of the same request gets.
    again = await ledger.execute(command, actor=EDITOR, idempotency_key="after")
    assert (again.first_position, again.last_position) == (
        result.first_position,
        result.last_position,
    )
    assert (again.rater_id, again.article_id) == (result.rater_id, result.article_id)
    await _verified(relayed_engine)


async def _waiting_on_a_lock(database_url: str) -> bool:
    """Whether a session of the database other than the test's own waits on a lock."""
    waiting = await _run(
        database_url,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock'",
    )
    return bool(waiting)


async def test_a_keyed_retry_waits_for_its_first_commit_still_under_way_and_is_answered_by_it(
    database_url: str, relay: SocketRelay, relayed_engine: AsyncEngine
) -> None:
    """The client gives up on a COMMIT the server has not yet made (its connection ends) and
    decides the write again at once: the append waits on the ledger head's lock, which the
    first transaction still holds, then finds the first under the key once it commits."""
    ledger = await _ledger(relayed_engine)
    before = await _head(database_url)
    relay.hold_the_next_commit()

    write = asyncio.create_task(
        ledger.execute(RegisterDiscipline("Discipline after"), actor=EDITOR, idempotency_key="k")
    )
    await asyncio.wait_for(relay.commit_held.wait(), 30)
    async with asyncio.timeout(30):
        while not await _waiting_on_a_lock(database_url):
            assert not write.done(), write  # decided again without waiting for the first
            await asyncio.sleep(0.02)

    assert not write.done()
    assert await _head(database_url) == before  # the first is not made yet
    relay.release_the_held_commit()
    result = await asyncio.wait_for(write, 30)

    assert relay.commit_answers_lost == 1
    assert await _head(database_url) == before + 1  # made by the held commit, and only there
    assert (result.first_position, result.replayed) == (before + 1, True)
    await _verified(relayed_engine)


@pytest.mark.parametrize("key", [None, "nightly"], ids=["unkeyed", "keyed"])
async def test_a_sweep_whose_commit_answer_was_lost_sweeps_once(
    database_url: str, relay: SocketRelay, relayed_engine: AsyncEngine, key: str | None
) -> None:
    """The sweep of overdue rating requests first reads (and, under a key, keeps) what is
    overdue in a transaction of its own: its commit's answer lost, it is read again, and the
    requests are expired once."""
    clock = Clock()
    store = SQLEventStore(relayed_engine)
    ledger = await a_ledger(store, clock)
    await ledger.execute(AssignDisciplines("a1", ["Physician"]), actor=EDITOR)
    clock.now = START + timedelta(days=15)
    head = (await store.head()).position
    relay.lose_the_next_commit_answer()

    swept = await ledger.expire_requests(actor=EDITOR, idempotency_key=key)

    assert relay.commit_answers_lost == 1
    assert [(r.article_id, r.replayed) for r in swept] == [("a1", False)]
    expired = [e for e in await store.read_all(after=head) if e.type == "RatingRequestExpired"]
    assert sorted(e.payload["rater_id"] for e in expired) == ["p1", "p2", "p3", "p4"]
    if key is not None:  # the sweep kept by the lost commit is the one its retry finds
        again = await ledger.expire_requests(actor=EDITOR, idempotency_key=key)
        assert [(r.article_id, r.replayed) for r in again] == [("a1", True)]
    await _verified(relayed_engine)


async def test_a_write_without_a_key_whose_commit_answer_was_lost_says_it_may_be_made(
    database_url: str, relay: SocketRelay, relayed_engine: AsyncEngine
) -> None:
    ledger = await _ledger(relayed_engine)
    before = await _head(database_url)
    relay.lose_the_next_commit_answer()

    with pytest.raises(CommitUnknown):
        await ledger.execute(RegisterDiscipline("Discipline after"), actor=EDITOR)

    assert relay.commit_answers_lost == 1
    assert await _head(database_url) == before + 1  # it was made: sent again, made twice
    await _verified(relayed_engine)


async def test_the_api_tells_a_commit_of_unknown_outcome_and_answers_its_keyed_retry(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with running(Settings(database_url=database_url)) as api:
        token = await api.token("editor")
        await _run(database_url, *END_THE_NEXT_COMMIT)
        before = await _head(database_url)

        unkeyed = {"input": {"discipline": "Physician", "displayName": "Dr Unkeyed"}}
        response = await api.post(ENROL, unkeyed, token)

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["data"] is None
        [error] = body["errors"]
        assert error["message"] == OUTCOME_UNKNOWN
        assert error["extensions"]["code"] == "COMMIT_OUTCOME_UNKNOWN"
        assert error["extensions"]["requestId"] == response.headers["x-request-id"]
        assert error["path"] == ["enrollRater"]
        assert await _head(database_url) == before
        # The log says it in one line under the request's id, without a trace: the
        # database's state, not a fault of the code.
        [said] = [r for r in caplog.records if "commit_outcome_unknown" in r.getMessage()]
        assert (said.levelno, said.exc_info) == (logging.WARNING, None)
        assert response.headers["x-request-id"] in said.getMessage()
        assert not [r for r in caplog.records if r.exc_info]

        await _run(database_url, AGAIN)
        keyed = {"input": {**unkeyed["input"], "idempotencyKey": "dr-unkeyed"}}
        answer = await api.http_data(ENROL, keyed, token)

        assert answer["enrollRater"]["__typename"] == "RaterPayload"
        assert answer["enrollRater"]["replayed"] is False
        assert answer["enrollRater"]["position"] == before + 1
        assert await _ended(database_url) >= 2
        assert await _head(database_url) == before + 1


def test_a_command_whose_commit_loses_its_connection_says_so_in_one_line(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async def registers_a_discipline(engine: AsyncEngine) -> None:
        await sql_ledger(SQLEventStore(engine)).execute(
            RegisterDiscipline("Discipline after"), actor=EDITOR
        )

    asyncio.run(_run(database_url, *END_THE_NEXT_COMMIT))
    assert said_by_a_command(database_url, registers_a_discipline, capsys) == (
        "error: database error: the connection to the database ended during the "
        "transaction's commit: whether it was written is unknown\n"
    )


async def test_a_commit_not_sent_on_a_connection_found_ended_before_it_wrote_nothing(
    database_url: str, engine: AsyncEngine
) -> None:
    """The session ended after the transaction's last statement and before its commit, and
    the driver read the end first: it refuses to send the commit, so nothing was written and
    the transaction is lost (made again by the runner), not of unknown outcome."""
    store = SQLEventStore(engine)
    before = await _head(database_url)
    with pytest.raises(TransactionLost):
        async with store.transaction() as tx:
            event = NewEvent("ArticleRetracted", {"article_id": "a", "reason": "r"})
            await tx.append("article:a", 0, [event], actor=EDITOR)
            session = await tx.connection.scalar(text("SELECT pg_backend_pid()"))
            await _run(database_url, f"SELECT pg_terminate_backend({int(session)}, 10000)")
            driver = (await tx.connection.get_raw_connection()).driver_connection
            for _ in range(2000):  # the end is read in a turn or two of the loop
                if driver.is_closed():
                    break
                await asyncio.sleep(0.01)
            else:
                pytest.fail("the driver never read the session's end")
    assert await _head(database_url) == before
