"""The app, its lifespan run, on every backend: over HTTP (httpx against the ASGI app), or
straight through the schema with the context the view would build.

Most tests are about what GraphQL answers, which the HTTP layer only carries: they run the
schema (``Api.execute``, ``Api.result``, ``Api.data``). What HTTP itself does (media types,
status codes, CSRF, authentication, the body and document limits) is tested with ``Api.post``
and ``Api.client``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from strawberry.http import process_result
from strawberry.types import ExecutionResult

from graph.app import create_app
from graph.http.schema import build_schema
from graph.schema.context import Context, Services
from graph.settings import Settings
from ledger.use_cases.tokens import authenticate, issue_token

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


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[Api]:
    """The service with the sample article loaded, as `serve` starts it."""
    async with running(Settings(database_url=database_url)) as started:
        yield started


@pytest.fixture(scope="module")
async def shared_api(module_database_url: str) -> AsyncIterator[Api]:
    """The service as ``api`` starts it, started once per module and backend: only for tests whose
    requests change nothing (reads, refusals) and that need no fresh start."""
    async with running(Settings(database_url=module_database_url)) as started:
        yield started
