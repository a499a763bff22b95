"""GraphQL over HTTP: media types, status codes, CSRF prevention, production mode, masking."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from graph.app import create_app
from graph.settings import Settings
from ledger.read import vocabulary
from tests.graph.conftest import Api, running
from tests.graph.helpers import (
    SAMPLE_ID,
    article_global_id,
    assert_no_stack_trace,
    counting_statements,
    ledger_position,
)

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
TOPICS = "{ topics { name } }"
PREFLIGHT = {"graphql-require-preflight": "1"}


# -- media types ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "answered"),
    [
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (JSON, JSON),
        ("*/*", JSON),
        (None, JSON),
        ("application/*", JSON),
        (f"{JSON}, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{JSON};q=0.5, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0.1, {JSON}", JSON),
        (f"{GRAPHQL_RESPONSE};q=0, */*", JSON),
        ("text/html, */*;q=0.8", JSON),
    ],
)
async def test_the_answer_is_in_the_media_type_the_client_prefers(
    api: Api, accept: str | None, answered: str
) -> None:
    headers = {"accept": accept} if accept is not None else {}
    if accept is None:
        api.client.headers.pop("accept", None)

    response = await api.client.post("/graphql", json={"query": TOPICS}, headers=headers)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == f"{answered}; charset=utf-8"
    assert response.json()["data"]["topics"]


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("{ topics { name }", None, "GRAPHQL_PARSE_FAILED"),
        ("{ topics { nope } }", None, "GRAPHQL_VALIDATION_FAILED"),
        ("query($n: Int!) { articles(first: $n) { edges { cursor } } }", {"n": "many"}, None),
        ("query($n: Int!) { articles(first: $n) { edges { cursor } } }", {}, None),
    ],
    ids=["parse", "validation", "variable-of-the-wrong-type", "variable-missing"],
)
@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
async def test_errors_before_execution_have_the_specs_status_and_no_data(
    api: Api, query: str, variables: dict[str, Any] | None, code: str | None, accept: str
) -> None:
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables

    with counting_statements(api) as statements:
        response = await api.client.post("/graphql", json=body, headers={"accept": accept})

    assert response.status_code == (400 if accept == GRAPHQL_RESPONSE else 200)
    payload = response.json()
    assert "data" not in payload, payload
    [error] = payload["errors"]
    assert error["extensions"]["code"] == (code or "BAD_USER_INPUT")
    assert statements == []


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
async def test_an_error_during_execution_is_a_200_with_data(api: Api, accept: str) -> None:
    response = await api.client.post(
        "/graphql",
        json={"query": '{ article(id: "not an id!") { id } }'},
        headers={"accept": accept},
    )

    assert response.status_code == 200
    payload = response.json()
    assert payload["data"] == {"article": None}
    assert payload["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


# -- CSRF -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
async def test_a_post_a_page_could_forge_is_refused(api: Api, content_type: str) -> None:
    with counting_statements(api) as statements:
        response = await api.client.post(
            "/graphql",
            content=b'{"query": "{ topics { name } }"}',
            headers={"content-type": content_type},
        )

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "CSRF_REFUSED"
    assert statements == []


async def test_a_forgeable_post_with_a_preflight_header_is_still_not_json(api: Api) -> None:
    response = await api.client.post(
        "/graphql",
        content=b'{"query": "{ topics { name } }"}',
        headers={"content-type": "text/plain", **PREFLIGHT},
    )

    assert response.status_code == 415
    assert response.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


async def test_a_get_without_a_preflight_header_is_refused(api: Api) -> None:
    with counting_statements(api) as statements:
        response = await api.client.get("/graphql", params={"query": TOPICS})

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "CSRF_REFUSED"
    assert statements == []


@pytest.mark.parametrize("header", ["GraphQL-Require-Preflight", "Apollo-Require-Preflight"])
async def test_a_get_with_a_preflight_header_runs_a_query(api: Api, header: str) -> None:
    response = await api.client.get(
        "/graphql",
        params={
            "query": "query($n: Int) { articles(first: $n) { edges { cursor } } }",
            "variables": '{"n": 1}',
        },
        headers={header: "1"},
    )

    assert response.status_code == 200, response.text
    assert len(response.json()["data"]["articles"]["edges"]) == 1


async def test_a_mutation_never_runs_over_get(api: Api) -> None:
    token = await api.token("subscriber")
    article = article_global_id(SAMPLE_ID)
    mutation = (
        f'mutation {{ postComment(input: {{articleId: "{article}", body: "Forged?"}}) '
        "{ __typename } }"
    )
    position = await ledger_position(api)

    response = await api.client.get(
        "/graphql",
        params={"query": mutation},
        headers={"authorization": f"Bearer {token}", **PREFLIGHT},
    )

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    assert await ledger_position(api) == position


@pytest.mark.parametrize(
    "query",
    [
        f'{{ article(id: "{SAMPLE_ID}") {{ id version citation {{ title }} '
        "disciplineScores { discipline { name } score ratingCount } } }",
        '{ article(id: "not an id!") { id } }',
        "{ me { id role } }",
        "{ ledgerEvents(first: 2) { __typename ... on LedgerEventsPage { hasMore } } }",
    ],
    ids=["data", "error-during-execution", "the-caller", "a-role-checked"],
)
async def test_the_schema_as_the_tests_run_it_answers_as_the_view_does(
    api: Api, query: str
) -> None:
    """Most API tests run the schema with the context the view builds (``Api.result``): for an
    operation that runs, its answer must be the view's body, whoever calls."""
    for token in (None, await api.token("auditor")):
        over_http = await api.post(query, token=token)

        assert over_http.status_code == 200, over_http.text
        assert await api.result(query, token=token) == over_http.json()


async def test_a_json_post_runs(api: Api) -> None:
    assert (await api.http_data(TOPICS))["topics"]


async def test_graphiql_is_served_to_a_browser_in_development(api: Api) -> None:
    response = await api.client.get("/graphql", headers={"accept": "text/html"})

    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_introspection_runs_within_the_limits_in_development(api: Api) -> None:
    data = await api.http_data(get_introspection_query(descriptions=True))

    assert data["__schema"]["queryType"]["name"] == "Query"


@pytest.mark.parametrize(
    ("origin", "protocol"),
    [
        ("https://forger.example", "graphql-transport-ws"),
        ("http://testserver", "graphql-ws"),
    ],
)
def test_a_foreign_origin_or_the_legacy_protocol_gets_no_websocket(
    tmp_path: Path, origin: str, protocol: str
) -> None:
    """Subscriptions only over graphql-transport-ws (whose operations wait for
    ``connection_init``'s authentication), from the page's own origin or one a deployment
    names (tests/graph/live for what is taken)."""
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'ws.db'}"))
    with (
        TestClient(app) as client,
        pytest.raises(WebSocketDisconnect),
        client.websocket_connect(
            "/graphql", subprotocols=[protocol], headers={"origin": origin}
        ) as websocket,
    ):
        websocket.receive_json()


# -- production -----------------------------------------------------------------------------


async def test_production_hides_graphiql_and_introspection(database_url: str) -> None:
    async with running(Settings(database_url=database_url, production=True)) as api:
        page = await api.client.get("/graphql", headers={"accept": "text/html"})
        response = await api.client.post(
            "/graphql",
            json={"query": "{ __schema { queryType { name } } }"},
            headers={"accept": GRAPHQL_RESPONSE},
        )
        typename = await api.http_data("{ __typename }")

    assert page.status_code == 404
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
    assert typename == {"__typename": "Query"}


# -- unexpected errors ----------------------------------------------------------------------


async def test_an_unexpected_error_is_masked_and_logged_with_the_request_id(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*_args: Any, **_kwargs: Any) -> list[tuple[str, int]]:
        raise RuntimeError("the topics index is gone")

    monkeypatch.setattr(vocabulary, "topics", broken)

    with caplog.at_level(logging.ERROR, logger="evidence_ledger.errors"):
        response = await api.client.post("/graphql", json={"query": TOPICS})

    assert response.status_code == 200
    request_id = response.headers["x-request-id"]
    [error] = response.json()["errors"]
    assert error["message"] == "Unexpected error."
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    assert_no_stack_trace(response.text)
    assert "topics index" not in response.text
    [record] = [r for r in caplog.records if request_id in r.getMessage()]
    assert record.exc_info is not None
    assert "the topics index is gone" in caplog.text
    assert "Traceback" in caplog.text


async def test_an_unauthenticated_refusal_keeps_its_status(database_url: str) -> None:
    async with running(Settings(database_url=database_url)) as api:
        response = await api.client.post(
            "/graphql",
            json={"query": TOPICS},
            headers={"authorization": "Bearer el_nope_nope"},
        )

    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_body_that_is_not_utf8_is_refused_without_a_trace(api: Api) -> None:
    transport = httpx.ASGITransport(app=api.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post(
            "/graphql",
            content=b'{"query": "{ topics { name } }", "x": "\xff"}',
            headers={"content-type": "application/json", "accept": GRAPHQL_RESPONSE},
        )

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_JSON"
