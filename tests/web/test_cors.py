"""Origins as a deployment names them, written as a browser sends them in ``Origin``, and
the app's CORS answers for them (no credentials, whoever built the settings)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from graph.app import create_app
from graph.settings import Settings
from graph.web.cors import parse_origin

ALLOWED = "https://reader.example.org"
PREFLIGHT = {
    "access-control-request-method": "POST",
    "access-control-request-headers": "authorization, content-type",
}


@pytest.mark.parametrize(
    ("given", "origin"),
    [
        ("https://reader.example.org", "https://reader.example.org"),
        ("https://reader.example.org/", "https://reader.example.org"),
        (" HTTPS://Reader.Example.ORG ", "https://reader.example.org"),
        ("https://reader.example.org:443", "https://reader.example.org"),
        ("http://reader.example.org:80/", "http://reader.example.org"),
        ("http://reader.example.org:443", "http://reader.example.org:443"),
        ("https://reader.example.org:8443", "https://reader.example.org:8443"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("http://[::1]:80", "http://[::1]"),
    ],
)
def test_an_origin_is_written_as_a_browser_sends_it(given: str, origin: str) -> None:
    assert parse_origin(given) == origin


@pytest.mark.parametrize(
    "given",
    [
        "*",
        "null",
        "reader.example.org",
        "ftp://reader.example.org",
        "https://",
        "https://reader.example.org/app",
        "https://reader.example.org?x=1",
        "https://reader.example.org#top",
        "https://user@reader.example.org",
        "https://:pw@reader.example.org",
        "https://user:pw@reader.example.org",
        "https://reader.example.org:abc",
        "https://reader.example.org:99999",
        "https://reader.example.org:0",
        "https://reader.example.org:-1",
    ],
)
def test_what_no_browser_would_send_as_an_origin_is_refused(given: str) -> None:
    with pytest.raises(ValueError, match="is not an origin"):
        parse_origin(given)


async def started(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    # Written as people paste it: the app writes it as a browser sends it.
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'ledger.db'}", cors_origins=(f"{ALLOWED}:443/",)
    )
    async for running in started(settings):
        yield running


async def test_an_allowed_origin_is_answered_without_credentials(
    client: httpx.AsyncClient,
) -> None:
    preflight = await client.options("/graphql", headers={"origin": ALLOWED, **PREFLIGHT})
    answer = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"origin": ALLOWED}
    )

    for response in (preflight, answer):
        assert response.headers["access-control-allow-origin"] == ALLOWED
        assert "access-control-allow-credentials" not in response.headers
    assert preflight.status_code == 200
    assert answer.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("origins", [("*",), (ALLOWED, "*"), ("reader.example.org",)])
def test_settings_naming_any_origin_or_a_malformed_one_make_no_app(
    tmp_path: Path, origins: tuple[str, ...]
) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'ledger.db'}", cors_origins=origins)

    with pytest.raises(ValueError, match="is not an origin"):
        create_app(settings)
