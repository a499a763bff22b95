"""The app, its lifespan run, on every backend: over HTTP (httpx against the ASGI app), or
straight through the schema with the context the view would build.

Most tests are about what GraphQL answers, which the HTTP layer only carries: they run the
schema (``Api.execute``, ``Api.result``, ``Api.data``). What HTTP itself does (media types,
status codes, CSRF, authentication, the body and document limits) is tested with ``Api.post``
and ``Api.client``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from strawberry.http import process_result
from strawberry.types import ExecutionResult

from graph.app import create_app
from graph.cli.database_access import with_engine
from graph.http.schema import build_schema
from graph.schema.context import Context, Services
from graph.settings import Settings
from ledger.use_cases.tokens import authenticate, issue_token
from tests.backends import create_postgres_database, drop_postgres_database, postgres_clone
from tests.socket_relay import SocketRelay, relayed_url, socket_of

# The client address httpx's ASGI transport gives: the same for the schema's per-address limits.
CLIENT = ("127.0.0.1", 123)


@dataclass
class Api:
    """A client of the API; ``token`` is sent as a bearer token when given."""

    app: Starlette
    client: httpx.AsyncClient

    @property
    def services(self) -> Services:
        services: Services = self.app.state.services
        return services

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> httpx.Response:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        return await self.client.post("/graphql", json=body, headers=headers)

    async def http_data(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The ``data`` of a successful response over HTTP (fails the test on any error)."""
        response = await self.post(query, variables, token)
        assert response.status_code == 200, response.text
        payload = response.json()
        assert "errors" not in payload, payload["errors"]
        data: dict[str, Any] = payload["data"]
        return data

    async def execute(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> ExecutionResult:
        """Run a document through the schema the app serves, with the context its view builds
        for a request bearing ``token``: the app's services, the token's principal."""
        principal = None
        if token is not None:
            principal = await authenticate(self.services.engine, token)
            assert principal is not None, "the token is unknown, expired or revoked"
        scope = {
            "type": "http",
            "method": "POST",
            "path": "/graphql",
            "headers": [],
            "query_string": b"",
            "client": CLIENT,
            "app": self.app,
            "state": {},
        }
        context = Context(Request(scope), Response(), self.services, principal)
        settings = self.services.settings
        schema = build_schema(production=settings.production, limits=settings.limits)
        return await schema.execute(query, variable_values=variables, context_value=context)

    async def result(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """What the schema answers, as the body of a response would hold it (``data`` and
        ``errors``, as JSON would give them back)."""
        result = await self.execute(query, variables, token)
        body: dict[str, Any] = json.loads(json.dumps(process_result(result)))
        return body

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The ``data`` the schema answers (fails the test on any error)."""
        body = await self.result(query, variables, token)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def token(self, role: str, rater_id: str | None = None) -> str:
        issued = await issue_token(self.services.engine, role, rater_id=rater_id)
        return issued.token


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Api]:
    """The service on ``settings``, its lifespan run, and a client of it."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        # A crash reaches the client as the 500 a real server sends, not as an exception.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Api(app, client)


async def _started_once(url: str) -> None:
    """The service started on the database and stopped: the sample article loaded."""
    async with running(Settings(database_url=url)):
        pass


@pytest.fixture(scope="session")
async def sqlite_started_template(
    sqlite_template_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    path = tmp_path_factory.mktemp("started") / "ledger.db"
    shutil.copyfile(sqlite_template_path, path)
    await _started_once(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
async def postgresql_started_template(
    postgres_server_url: str, postgres_template_url: str
) -> AsyncIterator[str]:
    url = await create_postgres_database(postgres_server_url, template=postgres_template_url)
    try:
        await _started_once(url)
        yield url
    finally:
        await drop_postgres_database(postgres_server_url, url)


@dataclass(frozen=True)
class StartedTemplate:
    """A database the service started on once: a SQLite file, or a PostgreSQL template."""

    database: str
    server_url: str | None = None


@pytest.fixture
def started_template(backend: str, request: pytest.FixtureRequest) -> StartedTemplate:
    # Looked up by backend, so that a run on SQLite alone starts no PostgreSQL.
    if backend == "sqlite":
        return StartedTemplate(str(request.getfixturevalue("sqlite_started_template")))
    return StartedTemplate(
        request.getfixturevalue("postgresql_started_template"),
        request.getfixturevalue("postgres_server_url"),
    )


@pytest.fixture
async def database_url(started_template: StartedTemplate, tmp_path: Path) -> AsyncIterator[str]:
    """Here, a database of the test's own as `serve` leaves it after a first start, the sample
    article loaded: a copy of one the service started on once per worker and backend. A start
    on it finds the ledger as a first start would leave it."""
    if started_template.server_url is None:
        shutil.copyfile(started_template.database, tmp_path / "ledger.db")
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    async with postgres_clone(started_template.server_url, started_template.database) as url:
        yield url


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[Api]:
    """The service with the sample article loaded, as `serve` starts it (on a ledger it has
    started on before: the first start, which loads the sample, is tested in tests/e2e and
    tests/store/test_sample)."""
    async with running(Settings(database_url=database_url)) as started:
        yield started


@pytest.fixture(scope="module")
async def shared_api(module_database_url: str) -> AsyncIterator[Api]:
    """The service as ``api`` starts it, started once per module and backend: only for tests whose
    requests change nothing (reads, refusals) and that need no fresh start."""
    async with running(Settings(database_url=module_database_url)) as started:
        yield started


@dataclass
class RelayedDatabase:
    """A migrated PostgreSQL database of the test's own, reached through a relay the test
    can cut, stop or make lose a commit's answer (``tests.socket_relay``)."""

    relay: SocketRelay
    url: str  # through the relay: the service's
    direct_url: str  # around it: the test's own look


@pytest.fixture
async def relayed_database(migrated_postgresql_url: str) -> AsyncIterator[RelayedDatabase]:
    direct = make_url(migrated_postgresql_url)
    relay = SocketRelay(socket_of(direct))
    through = relayed_url(direct, await relay.open())
    try:
        yield RelayedDatabase(
            relay, through.render_as_string(hide_password=False), migrated_postgresql_url
        )
    finally:
        await relay.close()


def said_by_a_command(
    database_url: str,
    work: Callable[[AsyncEngine], Awaitable[object]],
    capsys: pytest.CaptureFixture[str],
) -> str:
    """What a command doing ``work`` on the database says on its standard error, having
    failed with the exit code of a database error (2)."""
    with pytest.raises(typer.Exit) as exit_:
        with_engine(database_url, work)
    assert exit_.value.exit_code == 2
    return capsys.readouterr().err
