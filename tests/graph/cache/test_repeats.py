"""Repeated requests answered before the stack (``graph.http.repeats``): the same bytes and
headers as the long way gives, never a stale answer, never for credentials, and every rule
of the long way kept (the position header, CSRF, media types, CORS, the log line)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from graph.http.read_your_writes import ReadYourWrites
from graph.http.repeats import ENTRY_OVERHEAD, Repeats, RequestBytes
from graph.http.response_cache import ResponseCache
from graph.settings import Settings
from tests.graph.conftest import Api, running
from tests.graph.helpers import SAMPLE_ID, ledger_position, rate

ARTICLE = """query Article($id: ID!) {
  article(id: $id) { articleId version disciplineScores { discipline { name } ratingCount } }
}"""
BODY = {"query": ARTICLE, "variables": {"id": SAMPLE_ID}}
# What differs between any two answers: each request's own id.
OWN = frozenset({"x-request-id"})


def cache_of(api: Api) -> ResponseCache:
    cache: ResponseCache = api.app.state.response_cache
    return cache


def counters(api: Api) -> tuple[int, int, int]:
    stats = cache_of(api).stats
    return stats.repeats, stats.hits, stats.executions


def headers_of(response: httpx.Response) -> list[tuple[str, str]]:
    return [(name, value) for name, value in response.headers.items() if name not in OWN]


async def ask(api: Api, **headers: str) -> httpx.Response:
    return await api.client.post("/graphql", json=BODY, headers=headers)


async def test_a_repeat_is_answered_early_with_the_bytes_and_headers_of_the_long_way(
    api: Api,
) -> None:
    first = await ask(api)  # executed, and kept
    repeats, hits, executions = counters(api)
    # Another request for the same answer (a header the view does not need): the long way.
    long_way = await ask(api, **{"graphql-require-preflight": "1"})
    assert counters(api) == (repeats, hits + 1, executions)

    repeat = await ask(api)

    assert counters(api) == (repeats + 1, hits + 2, executions)
    assert repeat.status_code == long_way.status_code == first.status_code == 200
    assert repeat.content == long_way.content == first.content
    assert headers_of(repeat) == headers_of(long_way) == headers_of(first)
    assert repeat.headers["x-request-id"] != long_way.headers["x-request-id"]
    health = (await api.client.get("/healthz")).json()["responseCache"]
    assert health["repeats"] == repeats + 1
    # The two ways of asking, each remembered once.
    assert health["remembered"] == 2


async def test_a_write_sends_a_repeat_the_long_way_and_it_answers_the_new_state(
    api: Api,
) -> None:
    await ask(api)
    before = await ask(api)
    repeats, _, executions = counters(api)
    await rate(api, SAMPLE_ID, "sample-physician-4", 6, 5)

    after = await ask(api)

    assert counters(api)[::2] == (repeats, executions + 1)
    assert after.headers["etag"] != before.headers["etag"]
    assert after.json()["data"]["article"]["version"] > before.json()["data"]["article"]["version"]
    again = await ask(api)
    assert counters(api)[::2] == (repeats + 1, executions + 1)
    assert again.content == after.content


async def test_if_none_match_gets_the_long_ways_304_early(api: Api) -> None:
    first = await ask(api)
    etag = first.headers["etag"]
    long_way = await ask(api, **{"if-none-match": etag, "graphql-require-preflight": "1"})
    repeats, _, executions = counters(api)

    repeat = await ask(api, **{"if-none-match": f'"other", {etag}'})

    assert counters(api)[::2] == (repeats + 1, executions)
    assert repeat.status_code == long_way.status_code == 304
    assert repeat.content == b""
    assert headers_of(repeat) == headers_of(long_way)
    # A tag that does not match: the whole answer.
    assert (await ask(api, **{"if-none-match": '"other"'})).content == first.content


async def test_a_request_with_credentials_always_takes_the_long_way(api: Api) -> None:
    token = await api.token("subscriber")
    await ask(api, authorization=f"Bearer {token}")
    repeats, hits, _ = counters(api)

    for _ in range(3):
        answer = await ask(api, authorization=f"Bearer {token}")
        assert answer.headers["cache-control"] == "private, no-cache"
    refused = await ask(api, authorization="Bearer not-a-token")

    assert counters(api)[:2] == (repeats, hits + 3)
    assert refused.status_code == 401


async def test_the_position_header_is_kept_early_and_refused_the_long_way(api: Api) -> None:
    await ask(api)
    head = await ledger_position(api)
    repeats = counters(api)[0]

    at_head = await ask(api, **{"ledger-position": str(head)})
    beyond = await ask(api, **{"ledger-position": str(head + 1000)})
    malformed = await ask(api, **{"ledger-position": f"{head}a"})

    assert at_head.status_code == 200
    assert counters(api)[0] == repeats + 1
    for refused in (beyond, malformed):
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_get_without_a_preflight_header_is_refused_however_often_it_comes(
    api: Api,
) -> None:
    params = {"query": ARTICLE, "variables": orjson.dumps({"id": SAMPLE_ID}).decode()}
    allowed = await api.client.get(
        "/graphql", params=params, headers={"graphql-require-preflight": "1"}
    )
    again = await api.client.get(
        "/graphql", params=params, headers={"graphql-require-preflight": "1"}
    )
    assert allowed.status_code == again.status_code == 200
    assert counters(api)[0] >= 1

    for _ in range(2):
        forged = await api.client.get("/graphql", params=params)
        assert forged.status_code == 400
        assert forged.json()["errors"][0]["extensions"]["code"] == "CSRF_REFUSED"


async def test_each_media_type_gets_its_own_answer_early(api: Api) -> None:
    modern = "application/graphql-response+json"
    for accept, media_type in ((modern, modern), ("application/json", "application/json")):
        await ask(api, accept=accept)
        repeat = await ask(api, accept=accept)
        assert repeat.headers["content-type"] == f"{media_type}; charset=utf-8"
        assert repeat.json()["data"]["article"]["articleId"] == SAMPLE_ID
    assert (await ask(api, accept="text/csv")).status_code == 406


def declared(body: bytes) -> list[tuple[bytes, bytes]]:
    """A JSON body's headers, its whole length declared."""
    return [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]


async def call(api: Api, pieces: list[bytes]) -> tuple[int, bytes]:
    """A POST whose body arrives in ``pieces`` (with its whole length declared)."""
    return await raw_post(api, declared(b"".join(pieces)), pieces)


async def test_a_body_in_pieces_is_read_whole_and_is_a_repeat_however_it_is_cut(
    api: Api,
) -> None:
    body = orjson.dumps(BODY)
    whole = await call(api, [body])
    repeats = counters(api)[0]

    cuts = [[body[:10], body[10:]], [body, b""], [b"", body[:1], body[1:]]]
    answers = [await call(api, pieces) for pieces in cuts]

    assert whole[0] == 200
    assert answers == [whole] * len(cuts)
    assert counters(api)[0] == repeats + len(cuts)


async def test_an_early_answer_carries_cors_headers_for_an_allowed_origin(
    tmp_path: Path,
) -> None:
    origin = "https://reader.example.org"
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'ledger.db'}", cors_origins=(origin,))
    async with running(settings) as api:
        await ask(api, origin=origin)
        repeats = counters(api)[0]

        repeat = await ask(api, origin=origin)
        foreign = await ask(api, origin="https://elsewhere.example.org")

        assert counters(api)[0] == repeats + 2
        assert repeat.headers["access-control-allow-origin"] == origin
        assert "etag" in repeat.headers["access-control-expose-headers"].lower()
        assert "access-control-allow-origin" not in foreign.headers


async def test_an_early_answer_is_logged_in_one_line(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    first = await ask(api)
    with caplog.at_level(logging.INFO, logger="evidence_ledger.requests"):
        repeat = await ask(api)
        not_modified = await ask(api, **{"if-none-match": first.headers["etag"]})

    lines = [orjson.loads(r.getMessage()) for r in caplog.records if r.name.endswith("requests")]
    assert [(line["request_id"], line["status"]) for line in lines] == [
        (repeat.headers["x-request-id"], 200),
        (not_modified.headers["x-request-id"], 304),
    ]
    assert all(line["method"] == "POST" and line["path"] == "/graphql" for line in lines)


def test_the_requests_remembered_are_bounded_least_recently_used_out() -> None:
    def request(number: int) -> RequestBytes:
        return ("POST", b"", ()), b"x" * 1000 + str(number).encode()

    repeats = Repeats(max_bytes=4 * (1001 + ENTRY_OVERHEAD) + 100)  # four of them
    for number in range(4):
        repeats.remember(request(number), f"key {number}", None)
    remembered = repeats.get(request(0))  # used: the newest now
    assert remembered is not None
    assert remembered.key == "key 0"

    repeats.remember(request(4), "key 4", None)

    assert len(repeats) == 4
    assert repeats.get(request(1)) is None
    for number in (0, 2, 3, 4):
        found = repeats.get(request(number))
        assert found is not None
        assert found.key == f"key {number}"
    assert repeats.knows_prefix(("POST", b"", ()))
    assert not repeats.knows_prefix(("GET", b"", ()))


def view_of(api: Api) -> Any:
    """The GraphQL view behind the read-your-writes guard."""
    return next(
        route.app.app
        for route in api.app.routes
        if isinstance(getattr(route, "app", None), ReadYourWrites)
    )


def persisted(document: str) -> dict[str, Any]:
    sha = hashlib.sha256(document.encode()).hexdigest()
    return {"persistedQuery": {"version": 1, "sha256Hash": sha}}


async def test_a_hash_is_answered_early_only_while_its_document_is_kept(api: Api) -> None:
    view_of(api).persisted_queries.max_chars = len(ARTICLE)  # room for one document
    variables = {"id": SAMPLE_ID}
    sent = {"query": ARTICLE, "variables": variables, "extensions": persisted(ARTICLE)}
    assert (await api.client.post("/graphql", json=sent)).status_code == 200
    by_hash = {"variables": variables, "extensions": persisted(ARTICLE)}
    first = await api.client.post("/graphql", json=by_hash)
    repeats = counters(api)[0]
    assert (await api.client.post("/graphql", json=by_hash)).content == first.content
    assert counters(api)[0] == repeats + 1

    # Another document takes the only room: the article's is no longer kept.
    other = "{ __typename }"
    await api.client.post("/graphql", json={"query": other, "extensions": persisted(other)})
    repeat = await api.client.post("/graphql", json=by_hash)

    assert repeat.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert counters(api)[0] == repeats + 1


async def test_an_empty_operation_name_is_not_answered_as_none(api: Api) -> None:
    await ask(api)
    await ask(api)
    named = {**BODY, "operationName": ""}

    answers = [await api.client.post("/graphql", json=named) for _ in range(2)]

    for answer in answers:
        assert "errors" in answer.json(), answer.text
        assert answer.json().get("data") is None


async def raw_post(
    api: Api, headers: list[tuple[bytes, bytes]], pieces: list[bytes] | None
) -> tuple[int, bytes]:
    """A POST whose body arrives in ``pieces``, or never (None): the status and body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
    }
    messages = [
        {"type": "http.request", "body": piece, "more_body": number < len(pieces) - 1}
        for number, piece in enumerate(pieces or ())
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if pieces is None:
            await asyncio.Event().wait()  # the body never comes
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await asyncio.wait_for(api.app(scope, receive, send), 10)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


@pytest.mark.parametrize(
    ("refusing", "status"),
    [
        ([(b"accept", b"text/csv")], 406),  # no media type of ours
        ([(b"content-type", b"text/plain")], 400),  # CSRF
        ([(b"content-type", b"application/xml"), (b"graphql-require-preflight", b"1")], 415),
        ([(b"ledger-position", b"x")], 400),
        ([(b"ledger-position", b"999999")], 400),  # beyond the head
    ],
)
async def test_a_request_refused_for_its_headers_is_refused_without_waiting_for_its_body(
    api: Api, refusing: list[tuple[bytes, bytes]], status: int
) -> None:
    # The same headers (but the refusing ones) came before: what a repeat begins with.
    body = orjson.dumps(BODY)
    json_type, length = declared(body)
    for _ in range(2):
        assert (await raw_post(api, [json_type, length], [body]))[0] == 200
    names = {name for name, _ in refusing}
    headers = [h for h in [json_type] if h[0] not in names] + refusing + [length]

    assert (await raw_post(api, headers, None))[0] == status
