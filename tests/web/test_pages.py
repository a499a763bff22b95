"""The reader's page and GraphiQL as files the app serves: one query, offline assets, policies."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from graph.app import create_app
from graph.settings import Settings
from graph.web.graphiql import GRAPHIQL_POLICY
from graph.web.reader import READER_POLICY

ROOT = Path(__file__).parent.parent.parent
WEB = ROOT / "graph" / "web"
HTML = {"accept": "text/html"}


def folded(text: str) -> str:
    return " ".join(text.split())


def readme_article_page_query() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [query] = re.findall(r"```graphql\n(query ArticlePage.*?)```", readme, flags=re.DOTALL)
    return folded(query)


def test_the_reader_page_and_graphiql_send_the_readmes_article_page_query() -> None:
    script = (WEB / "reader" / "reader.js").read_text(encoding="utf-8")
    [sent] = re.findall(r"const ARTICLE_PAGE = `(.*?)`;", script, flags=re.DOTALL)
    start = (WEB / "graphiql" / "graphiql-start.js").read_text(encoding="utf-8")
    [lines] = re.findall(r"var ARTICLE_PAGE = \[(.*?)\]\.join", start, flags=re.DOTALL)
    in_graphiql = " ".join(re.findall(r'"(.*?)",', lines))

    assert folded(sent) == readme_article_page_query()
    assert folded(in_graphiql) == readme_article_page_query()


async def started(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for running in started(Settings(database_url=f"sqlite:///{tmp_path / 'ledger.db'}")):
        yield running


@pytest.fixture
async def production(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'ledger.db'}", production=True)
    async for running in started(settings):
        yield running


async def test_graphiql_is_the_packaged_page_with_its_policy(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers=HTML)

    assert page.status_code == 200
    assert page.headers["content-security-policy"] == GRAPHIQL_POLICY
    scripts = re.findall(r'<script src="([^"]+)"', page.text)
    assert scripts, page.text
    assert all(src.startswith("/graphiql/static/") for src in scripts)
    for asset in [*scripts, "/graphiql/static/graphiql.min.css"]:
        served = await client.get(asset)
        assert served.status_code == 200, asset
    assert "https://" not in page.text


async def test_graphiql_and_its_files_are_off_in_production(
    production: httpx.AsyncClient,
) -> None:
    page = await production.get("/graphql", headers=HTML)
    asset = await production.get("/graphiql/static/graphiql.min.js")

    assert page.status_code == 404
    assert page.headers["content-type"].startswith("application/json")
    assert page.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert asset.status_code == 404


@pytest.mark.parametrize("path", ["/", "/articles/e7d05feceeac5a68"])
async def test_the_reader_page_is_served_with_its_policy_in_production_too(
    production: httpx.AsyncClient, path: str
) -> None:
    page = await production.get(path)
    script = await production.get("/reader/static/reader.js")

    assert page.status_code == 200
    assert page.headers["content-security-policy"] == READER_POLICY
    assert '<script src="/reader/static/reader.js" defer></script>' in page.text
    assert script.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/reader/static/index.html",
        "/graphiql/static/graphiql.html",
        "/graphiql/static/README.md",
        "/graphiql/static/LICENSE.graphiql",
    ],
)
async def test_the_asset_folders_serve_no_page_nor_notes_as_a_plain_file(
    client: httpx.AsyncClient, path: str
) -> None:
    # The pages are served by their routes only, where their policies go with them.
    answer = await client.get(path)

    assert answer.status_code == 404
    assert "<html" not in answer.text.lower()


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/reader/static/reader.js", "javascript"),
        ("/reader/static/reader.css", "text/css"),
        ("/graphiql/static/graphiql-start.js", "javascript"),
        ("/graphiql/static/graphiql.min.css", "text/css"),
    ],
)
async def test_the_scripts_and_styles_are_served_as_what_they_are(
    client: httpx.AsyncClient, path: str, kind: str
) -> None:
    answer = await client.get(path)

    assert answer.status_code == 200
    assert kind in answer.headers["content-type"]
    assert answer.headers["x-content-type-options"] == "nosniff"
