"""The app over HTTP (httpx against the ASGI app, lifespan run), on every backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from graph.app import create_app
from graph.schema.context import Services
from graph.settings import Settings
from ledger.use_cases.tokens import issue_token


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

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The ``data`` of a successful response (fails the test on any error)."""
        response = await self.post(query, variables, token)
        assert response.status_code == 200, response.text
        payload = response.json()
        assert "errors" not in payload, payload["errors"]
        data: dict[str, Any] = payload["data"]
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
