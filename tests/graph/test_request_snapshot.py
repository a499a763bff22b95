"""A field refused inside a request leaves the request's read snapshot whole for the others.

The fields of a query run concurrently on one connection. When a field the schema declares
non-null is refused, GraphQL nulls the whole answer and the executor cancels the fields still
running: a statement cut off then must not leave the connection unusable, nor let its cleanup
replace the refusal with an unexpected error. A refused field the schema lets be null leaves
the others' answers in place.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import QueuePool
from starlette.requests import Request
from starlette.responses import Response

from graph.http.schema import build_schema
from graph.schema.context import Context, Reader
from graph.settings import Limits, Settings
from ledger.store.db import create_engine
from tests.graph.conftest import Api, running
from tests.graph.helpers import SAMPLE_ID, article_global_id

ROUNDS = 100

# Fields that read through the request's snapshot, one statement or several.
TOPICS = "topics { name }"
DISCIPLINES = "disciplines { name }"
# Aliased: beside a refused `articles`, two fields of one name must agree on arguments.
ARTICLES = "listed: articles { edges { node { topics { name } disciplineScores { score } } } }"
READERS = {"topics": TOPICS, "disciplines": DISCIPLINES, "articles": ARTICLES}

# (the refused field, the argument it names, the role of the caller, a field beside it)
NON_NULL_REFUSALS = [
    ("ledgerEvents(first: 779) { __typename }", "first", "auditor", TOPICS),
    ("ledgerEvents(after: -1) { __typename }", "after", "auditor", DISCIPLINES),
    ("articles(minScore: 9) { edges { cursor } }", "minScore", None, TOPICS),
    ("articles(first: -1) { edges { cursor } }", "first", None, ARTICLES),
]
NULLABLE_REFUSAL = f'article(id: "{article_global_id(SAMPLE_ID)}", atVersion: 0) {{ id }}'


def refusal_of(payload: dict[str, Any]) -> dict[str, Any]:
    """The one error of ``payload``, which must be a refusal, not an unexpected error."""
    errors = payload.get("errors")
    assert errors is not None, payload
    assert len(errors) == 1, errors
    [error] = errors
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    return dict(error)


async def answer(api: Api, query: str, token: str | None) -> dict[str, Any]:
    response = await api.post(query, token=token)
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    return payload


@pytest.mark.parametrize(
    ("refused", "argument", "role", "reader"),
    NON_NULL_REFUSALS,
    ids=["ledgerEvents-first", "ledgerEvents-after", "articles-minScore", "articles-first"],
)
@pytest.mark.parametrize("refused_first", [True, False], ids=["refused-first", "refused-last"])
async def test_a_refused_non_null_field_beside_a_reading_one_is_always_the_refusal(
    api: Api, refused: str, argument: str, role: str | None, reader: str, refused_first: bool
) -> None:
    token = await api.token(role) if role is not None else None
    query = "{ " + " ".join([refused, reader] if refused_first else [reader, refused]) + " }"
    expected = await answer(api, "{ " + reader + " }", token)

    for _ in range(ROUNDS):
        payload = await answer(api, query, token)
        assert refusal_of(payload)["extensions"]["argument"] == argument
        assert payload["data"] is None  # the refused field is non-null: the answer is null

    # Nothing of the cut-off reads is left behind for the next request.
    assert await answer(api, "{ " + reader + " }", token) == expected


@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize("refused_first", [True, False], ids=["refused-first", "refused-last"])
async def test_a_refused_nullable_field_leaves_the_other_fields_their_data(
    api: Api, reader: str, refused_first: bool
) -> None:
    expected = (await answer(api, "{ " + READERS[reader] + " }", None))["data"]
    fields = [NULLABLE_REFUSAL, READERS[reader]]
    query = "{ " + " ".join(fields if refused_first else fields[::-1]) + " }"

    for _ in range(ROUNDS):
        payload = await answer(api, query, None)
        refusal = refusal_of(payload)
        assert (refusal["path"], refusal["extensions"]["argument"]) == (["article"], "atVersion")
        assert payload["data"] == {"article": None} | expected


def connections_in_use(engine: AsyncEngine) -> int:
    pool = engine.pool
    assert isinstance(pool, QueuePool), pool
    return pool.checkedout()


async def _one(connection: AsyncConnection) -> int:
    return int(await connection.scalar(text("SELECT 1")))


async def test_a_read_asked_for_after_the_request_finished_leaves_no_connection_open(
    engine: AsyncEngine,
) -> None:
    reader = Reader(engine)

    async def batch() -> None:
        # A loader's batch goes on to its next statement though its callers were cancelled.
        for _ in range(3):
            assert await reader.run(_one) == 1

    batch_running = asyncio.ensure_future(batch())
    await asyncio.sleep(0)  # the batch has begun its first read
    await reader.finish()
    await batch_running

    assert connections_in_use(engine) == 0


async def test_a_request_cancelled_in_the_middle_of_a_read_gives_its_connection_back(
    api: Api,
) -> None:
    engine = api.services.engine
    request = Request({"type": "http", "method": "POST", "path": "/graphql", "headers": []})
    context = Context(request, Response(), api.services, principal=None)
    snapshot_opened = asyncio.Event()
    event.listen(engine.sync_engine, "checkout", lambda *_: snapshot_opened.set())
    operation = asyncio.ensure_future(build_schema().execute("{ topics { name } }", None, context))
    await snapshot_opened.wait()

    operation.cancel()
    with pytest.raises(asyncio.CancelledError):
        await operation

    assert connections_in_use(engine) == 0


async def test_a_read_failing_after_its_resolver_was_cancelled_is_logged(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    reader = Reader(engine)
    read_begun = asyncio.Event()

    async def failing(connection: AsyncConnection) -> int:
        read_begun.set()
        await connection.scalar(text("SELECT 1"))
        raise LookupError("the read failed")

    resolver = asyncio.ensure_future(reader.run(failing))
    await read_begun.wait()
    resolver.cancel()
    with pytest.raises(asyncio.CancelledError):
        await resolver
    await reader.finish()

    [record] = [r for r in caplog.records if r.name == "evidence_ledger.errors"]
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == "the read failed"
    assert connections_in_use(engine) == 0


async def test_the_operations_of_a_batch_read_one_snapshot_until_the_last_one_ends(
    database_url: str,
) -> None:
    settings = Settings(database_url=database_url, limits=Limits(max_batch=2))
    async with running(settings) as api:
        checkouts: list[tuple[object, ...]] = []
        event.listen(api.services.engine.sync_engine, "checkout", lambda *a: checkouts.append(a))
        reading = "{ " + " ".join(READERS.values()) + " }"
        body = [{"query": reading}, {"query": "{ noSuchField }"}]

        response = await api.client.post("/graphql", json=body)

        assert response.status_code == 200, response.text
        answered, refused = response.json()
        assert "errors" not in answered, answered
        assert refused["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        # The refused operation ended first; the other went on in the one snapshot.
        assert len(checkouts) == 1
        assert connections_in_use(api.services.engine) == 0


async def _head(connection: AsyncConnection) -> int:
    return int((await connection.execute(text("SELECT position FROM ledger_head"))).scalar_one())


async def test_a_snapshot_whose_first_read_fails_is_read_again_where_instead_says(
    database_url: str, tmp_path: Path
) -> None:
    """The reader's fallback (a replica's primary): taken for the database it was given for,
    and only there; after ``read_from`` a failure is the new database's own."""
    good = create_engine(database_url)
    # A SQLite file in a folder that does not exist: every connection fails as it opens.
    failing = create_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'ledger.db'}")
    asked: list[BaseException] = []

    def instead(error: BaseException) -> AsyncEngine:
        asked.append(error)
        return good

    try:
        reader = Reader(failing, instead=instead)
        assert await reader.run(_head) >= 1  # read where ``instead`` said
        assert len(asked) == 1
        await reader.finish()

        reader = Reader(good, instead=instead)
        reader.read_from(failing)
        with pytest.raises(DBAPIError):
            await reader.run(_head)
        assert len(asked) == 1  # not asked for the database read from later
        await reader.finish()
    finally:
        await good.dispose()
        await failing.dispose()
