"""The database out of reach (PostgreSQL behind a relay the test cuts, or stops): every
request is answered with ``DATABASE_UNAVAILABLE`` and the request's id, never "Unexpected
error." nor a bare 500. A request that fails before its answer begins (a known page's read,
a token's check) is a 503 with ``Retry-After``; a field of an executed answer carries the
code in that answer; the health check gives its own 503. The log says so in one line,
without a trace. Once the database is back, the next requests are answered, and a write is
made once. A WebSocket whose token cannot be checked is closed with 1013 (Try Again Later);
a browser's visit to the unsubscribe link gets a page saying to try again, and an unsubscribe
whose commit's answer was lost is done once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from logging import WARNING
from typing import Any

import httpx
import pytest

from graph.http.pages.documents import ARTICLE_PAGE
from graph.http.unavailable import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS
from graph.http.websocket import TRY_AGAIN_LATER, UNAVAILABLE_REASON
from graph.settings import Settings
from ledger.delivery.deliverer import Deliverer
from ledger.delivery.settings import DeliverySettings
from ledger.delivery.unsubscribe import unsubscribe_token
from ledger.domain.commands import SetAlertProfile
from ledger.read.alerts import alert_profile
from ledger.read.listened import ListenedChanges
from ledger.read.live import LiveLedger
from ledger.read.reader import read_now
from ledger.store.db import create_engine
from ledger.store.records import Actor
from ledger.use_cases.sample import SAMPLE_ARTICLE_ID
from tests.graph.conftest import Api, RelayedDatabase, running
from tests.graph.helpers import assert_no_stack_trace, ledger_position
from tests.graph.live.client import Closed, bearer, live_client, served
from tests.socket_relay import SocketRelay

TOPIC_NAMES = "{ topics { name } }"  # not a known page: the executor reads it
ENROL = """
mutation Enrol($input: EnrollRaterInput!) {
  enrollRater(input: $input) { __typename ... on RaterPayload { position replayed } }
}
"""
LIVE, DELIVERY = "evidence_ledger.live", "evidence_ledger.delivery"
SECRET = "unsubscribe-secret"
LEAVING = "sub-leaving"
NEW_RATER = {"input": {"discipline": "Physician", "displayName": "Dr Later", "idempotencyKey": "k"}}


@pytest.fixture
def relay(relayed_database: RelayedDatabase) -> SocketRelay:
    return relayed_database.relay


@pytest.fixture
async def api(relayed_database: RelayedDatabase) -> AsyncIterator[Api]:
    delivery = DeliverySettings(unsubscribe_secret=SECRET)
    async with running(Settings(database_url=relayed_database.url, delivery=delivery)) as api:
        yield api


def _unavailable(response: httpx.Response) -> dict[str, Any]:
    """The one error of an answer that could not reach the database."""
    body = response.json()
    [error] = body["errors"]
    assert error["message"] == DATABASE_UNAVAILABLE
    assert error["extensions"]["code"] == "DATABASE_UNAVAILABLE"
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    return body  # type: ignore[no-any-return]


def _refused_before_answering(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert response.headers["cache-control"] == "no-store"
    assert "data" not in _unavailable(response)


async def _every_kind_of_request(api: Api, token: str, caplog: pytest.LogCaptureFixture) -> None:
    api.app.state.response_cache.clear()  # nothing answered from memory
    caplog.clear()

    executed = await api.post(TOPIC_NAMES)
    assert executed.status_code == 200, executed.text
    assert _unavailable(executed)["data"] is None

    _refused_before_answering(await api.post(ARTICLE_PAGE, {"id": SAMPLE_ARTICLE_ID}))
    _refused_before_answering(await api.post(ENROL, NEW_RATER, token))  # the token's check
    health = await api.client.get("/healthz")  # its own answer, for load balancers
    assert health.status_code == 503
    assert health.json() == {"status": "unavailable", "database": "unreachable"}

    said = [r for r in caplog.records if r.name == "evidence_ledger.errors"]
    assert len(said) == 3
    assert all(r.levelno == logging.WARNING and r.exc_info is None for r in said)
    assert all("database_unavailable" in r.getMessage() for r in said)
    logged = [r.getMessage() for r in caplog.records if r.name == "evidence_ledger.requests"]
    assert [line.count('"status":503') for line in logged] == [0, 1, 1, 1]
    # Nobody's trace: not the service's, nor its drivers' (asyncpg's pool among them).
    assert not [(r.name, r.getMessage()) for r in caplog.records if r.exc_info]


async def test_a_database_cut_off_is_told_and_the_requests_after_it_comes_back_are_answered(
    api: Api, relay: SocketRelay, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    token = await api.token("editor")
    topics = await api.http_data(TOPIC_NAMES)
    page = await api.http_data(ARTICLE_PAGE, {"id": SAMPLE_ARTICLE_ID})

    await relay.cut()
    await _every_kind_of_request(api, token, caplog)

    relay.mend()
    assert await api.http_data(TOPIC_NAMES) == topics
    assert await api.http_data(ARTICLE_PAGE, {"id": SAMPLE_ARTICLE_ID}) == page
    first = (await api.http_data(ENROL, NEW_RATER, token))["enrollRater"]
    assert (first["__typename"], first["replayed"]) == ("RaterPayload", False)
    again = (await api.http_data(ENROL, NEW_RATER, token))["enrollRater"]
    assert again == {**first, "replayed": True}
    assert (await api.client.get("/healthz")).status_code == 200


async def test_a_database_that_refuses_connections_is_told_the_same_way(
    api: Api, relay: SocketRelay, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    token = await api.token("editor")
    await relay.close()  # nothing listens on its port any more: connections are refused
    await _every_kind_of_request(api, token, caplog)


async def test_a_websocket_whose_token_cannot_be_checked_is_closed_to_try_again_later(
    relayed_database: RelayedDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with served(Settings(database_url=relayed_database.url)) as live:
        token = await live.api.token("subscriber")
        await relayed_database.relay.cut()
        caplog.clear()
        async with live_client(live.url, init=False) as client:
            await client.send({"type": "connection_init", "payload": bearer(token)})
            with pytest.raises(Closed) as closed:
                await client.receive()
        assert (closed.value.code, closed.value.reason) == (TRY_AGAIN_LATER, UNAVAILABLE_REASON)
        said = [r for r in caplog.records if "database_unavailable" in r.getMessage()]
        assert len(said) == 1
        # No trace from the service or from uvicorn (an ASGI application's failure).
        ours = ("evidence_ledger", "uvicorn")
        assert not [r for r in caplog.records if r.exc_info and r.name.startswith(ours)]

        relayed_database.relay.mend()
        async with live_client(live.url, token) as client:  # acknowledged
            assert client.ws.close_code is None


async def test_background_work_logs_an_outage_as_it_begins_and_as_it_ends(
    relayed_database: RelayedDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    """The live fan-out and the deliverer, asking the database at every turn (a short poll,
    a short interval): two warnings each for the whole outage, however many turns failed."""
    caplog.set_level(logging.DEBUG, logger="evidence_ledger")
    engine = create_engine(relayed_database.url)
    changes = ListenedChanges(engine, retry_seconds=0.01)
    await changes.start()
    live = LiveLedger(changes, poll_seconds=0.01)
    await live.start()
    live.on_move()  # a watcher: the fan-out asks the database at every turn
    deliverer = Deliverer(engine, DeliverySettings(interval_seconds=0.01), {})
    stop = asyncio.Event()
    watching = asyncio.create_task(deliverer.watch(stop))

    def said(logger: str, level: int, words: str) -> int:
        return sum(
            r.name == logger and r.levelno == level and words in r.getMessage()
            for r in caplog.records
        )

    async def until(check: Callable[[], bool]) -> None:
        for _ in range(2000):
            if check():
                return
            await asyncio.sleep(0.01)
        pytest.fail("never happened")

    try:
        caplog.clear()
        await relayed_database.relay.cut()
        await until(
            lambda: (
                said(LIVE, logging.DEBUG, "still away") >= 3
                and said(DELIVERY, logging.DEBUG, "still away") >= 3
            )
        )
        relayed_database.relay.mend()
        await until(
            lambda: (
                said(LIVE, logging.WARNING, "working again") == 1
                and said(DELIVERY, logging.WARNING, "working again") == 1
            )
        )
        for logger in (LIVE, DELIVERY):
            warned = [r for r in caplog.records if r.name == logger and r.levelno >= WARNING]
            assert len(warned) == 2, [r.getMessage() for r in warned]
            assert "cannot be reached" in warned[0].getMessage()
            assert not any(r.exc_info for r in warned)
    finally:
        stop.set()
        await watching
        await live.close()
        await changes.close()
        await engine.dispose()


async def _leaving(api: Api) -> str:
    """A subscriber with alert emails; the path of their unsubscribe link."""
    profile = SetAlertProfile(LEAVING, ["Physician"], 5, 4, email="leaving@example.org")
    await api.services.ledger.execute(profile, actor=Actor(LEAVING, "subscriber"))
    return f"/unsubscribe?token={unsubscribe_token(SECRET, LEAVING)}"


async def test_a_browsers_visit_gets_a_page_saying_to_try_again(
    api: Api, relay: SocketRelay
) -> None:
    link = await _leaving(api)
    await relay.cut()

    page = await api.client.get(link, headers={"accept": "text/html,*/*;q=0.8"})

    assert page.status_code == 503
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert "cannot reach its database just now" in page.text
    assert f"Request {page.headers['x-request-id']}" in page.text
    assert_no_stack_trace(page.text)
    # The API's clients read the JSON error, whatever their Accept header lists first.
    api_call = await api.client.post(
        "/graphql",
        json={"query": ARTICLE_PAGE, "variables": {"id": SAMPLE_ARTICLE_ID}},
        headers={"accept": "text/html, application/json;q=0.9"},
    )
    _refused_before_answering(api_call)
    # A client that names HTML only to refuse it reads the JSON error too.
    refusing_html = await api.client.get(link, headers={"accept": "text/html;q=0, */*"})
    _refused_before_answering(refusing_html)
    # Behind a proxy serving the app under a prefix, the API is still the API.
    prefixed = httpx.ASGITransport(app=api.app, root_path="/ledger", raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=prefixed, base_url="http://test") as client:
        api_call = await client.post(
            "/ledger/graphql",
            json={"query": ARTICLE_PAGE, "variables": {"id": SAMPLE_ARTICLE_ID}},
            headers={"accept": "text/html, application/json;q=0.9"},
        )
        _refused_before_answering(api_call)
        page = await client.get(f"/ledger{link}", headers={"accept": "text/html"})
        assert page.status_code == 503
        assert page.headers["content-type"] == "text/html; charset=utf-8"


# Where the unsubscribe's COMMIT is lost, and what the page and the profile then say:
# its answer (the server committed: done, once), or itself (nothing changed: try again).
LOST_COMMITS = {
    "answer lost": ("lose_the_next_commit_answer", 200, "Unsubscribed", 1, None),
    "commit lost": ("lose_the_next_commit", 409, "Please try again", 0, "leaving@example.org"),
}


@pytest.mark.parametrize(
    ("lose", "status", "words", "written", "email"), LOST_COMMITS.values(), ids=LOST_COMMITS
)
async def test_an_unsubscribe_whose_commit_is_lost_says_what_the_profile_holds(
    api: Api,
    relay: SocketRelay,
    lose: str,
    status: int,
    words: str,
    written: int,
    email: str | None,
) -> None:
    link = await _leaving(api)
    before = await ledger_position(api)
    getattr(relay, lose)()

    page = await api.client.post(link)

    assert relay.commit_answers_lost + relay.commits_lost == 1
    assert page.status_code == status, page.text
    assert words in page.text
    assert await ledger_position(api) == before + written
    profile = await read_now(api.services.engine, lambda conn: alert_profile(conn, LEAVING))
    assert profile is not None
    assert profile.email == email
