"""CORS over real HTTP: `serve --cors-origin` lets the named origins' pages read the API, and
no other; CSRF prevention stays for every origin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from graph.cli.main import app
from tests.e2e.test_serve import Server, kill_if_running, start_serve, wait_until_healthy

ALLOWED = "http://reader.example.org"
ALSO_ALLOWED = "https://front.example.org:8443"
OTHER = "http://elsewhere.example.org"
QUERY = {"query": '{ article(id: "e7d05feceeac5a68") { studyType } }'}
PREFLIGHT = {
    "access-control-request-method": "POST",
    "access-control-request-headers": (
        "authorization, content-type, graphql-require-preflight, if-none-match"
    ),
}


def serve(tmp_path: Path, *options: str) -> Iterator[httpx.Client]:
    server: Server = start_serve(
        f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path / "serve.log", *options
    )
    try:
        wait_until_healthy(server)
        with httpx.Client(base_url=server.base_url, timeout=10.0) as client:
            yield client
    finally:
        kill_if_running(server)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    # The trailing slash is how people paste an origin; a browser never sends one.
    yield from serve(
        tmp_path_factory.mktemp("cors"),
        "--cors-origin",
        f"{ALLOWED}/",
        "--cors-origin",
        ALSO_ALLOWED,
    )


def test_a_preflight_from_an_allowed_origin_is_answered(api: httpx.Client) -> None:
    for origin in (ALLOWED, ALSO_ALLOWED):
        answer = api.options("/graphql", headers={"origin": origin, **PREFLIGHT})

        assert answer.status_code == 200, answer.text
        assert answer.headers["access-control-allow-origin"] == origin
        assert "access-control-allow-credentials" not in answer.headers
        assert "POST" in answer.headers["access-control-allow-methods"]
        allowed = answer.headers["access-control-allow-headers"].lower()
        for header in PREFLIGHT["access-control-request-headers"].split(", "):
            assert header in allowed


def test_a_preflight_from_another_origin_is_refused(api: httpx.Client) -> None:
    answer = api.options("/graphql", headers={"origin": OTHER, **PREFLIGHT})

    assert answer.status_code == 400
    assert "access-control-allow-origin" not in answer.headers


def test_an_allowed_origin_reads_answers_and_sees_the_exposed_headers(api: httpx.Client) -> None:
    answer = api.post("/graphql", json=QUERY, headers={"origin": ALLOWED})

    assert answer.json() == {"data": {"article": {"studyType": "Systematic review"}}}
    assert answer.headers["access-control-allow-origin"] == ALLOWED
    exposed = answer.headers["access-control-expose-headers"].lower()
    assert "etag" in exposed
    assert "x-request-id" in exposed
    assert answer.headers["x-request-id"]


def test_another_origins_answer_carries_no_permission_to_read_it(api: httpx.Client) -> None:
    answer = api.post("/graphql", json=QUERY, headers={"origin": OTHER})

    assert "access-control-allow-origin" not in answer.headers


def test_a_refused_token_is_readable_by_an_allowed_page(api: httpx.Client) -> None:
    answer = api.post(
        "/graphql", json=QUERY, headers={"origin": ALLOWED, "authorization": "Bearer el_x_y"}
    )

    assert answer.status_code == 401
    assert answer.headers["access-control-allow-origin"] == ALLOWED
    assert answer.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_csrf_prevention_still_refuses_a_simple_request_from_an_allowed_origin(
    api: httpx.Client,
) -> None:
    answer = api.post(
        "/graphql",
        content=b'{"query": "{ __typename }"}',
        headers={"origin": ALLOWED, "content-type": "text/plain"},
    )

    assert answer.status_code == 400
    assert answer.json()["errors"][0]["extensions"]["code"] == "CSRF_REFUSED"


def test_no_origin_is_allowed_by_default(tmp_path: Path) -> None:
    for api in serve(tmp_path):
        preflight = api.options("/graphql", headers={"origin": ALLOWED, **PREFLIGHT})
        answer = api.post("/graphql", json=QUERY, headers={"origin": ALLOWED})

        assert preflight.status_code == 405
        assert "access-control-allow-origin" not in preflight.headers
        assert "access-control-allow-origin" not in answer.headers


@pytest.mark.parametrize(
    "origin", ["reader.example.org", "ftp://reader.example.org", "https://reader.example.org/app"]
)
def test_serve_refuses_what_is_not_an_origin(origin: str) -> None:
    result = CliRunner().invoke(app, ["serve", "--cors-origin", origin], env={"COLUMNS": "400"})

    assert result.exit_code == 2
    assert f"{origin!r} is not an origin" in result.output
