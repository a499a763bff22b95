"""A hand-driven graphql-transport-ws client over a real WebSocket, and the service served by
a real uvicorn on loopback (in the test's event loop): what close codes and resuming need to
be seen exactly."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from websockets.asyncio.client import ClientConnection, connect

from graph.app import create_app
from graph.settings import Settings
from tests.e2e.test_serve import LOOPBACK
from tests.graph.conftest import Api

PROTOCOL = "graphql-transport-ws"
# Only so that a broken server fails the test instead of hanging it: nothing is timed.
PATIENCE = 60.0


@dataclass
class Served:
    api: Api
    url: str


@asynccontextmanager
async def served(settings: Settings, send_buffer: int | None = None) -> AsyncIterator[Served]:
    """The app behind a real uvicorn, its WebSockets as ``serve`` has them; ``send_buffer``:
    the kernel's send buffer of every connection (set on the listening socket, which the
    accepted ones inherit), so that a client that stops reading fills it soon."""
    app = create_app(settings)
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if send_buffer is not None:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    listening.bind((LOOPBACK, 0))
    port = listening.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listening]))
    async with asyncio.timeout(PATIENCE):
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
    try:
        async with httpx.AsyncClient(base_url=f"http://{LOOPBACK}:{port}") as client:
            yield Served(Api(app, client), f"ws://{LOOPBACK}:{port}/graphql")
    finally:
        server.should_exit = True
        await task
        listening.close()


class Closed(Exception):
    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"closed {code}: {reason}")
        self.code, self.reason = code, reason


class LiveClient:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def receive(self) -> dict[str, Any]:
        """The next message other than a ping (answered); Closed when the server closed."""
        while True:
            try:
                async with asyncio.timeout(PATIENCE):
                    text = await self.ws.recv()
            except Exception as error:
                if self.ws.close_code is not None or type(error).__name__.startswith("Connection"):
                    raise Closed(self.ws.close_code, self.ws.close_reason or "") from None
                raise
            message: dict[str, Any] = json.loads(text)
            if message["type"] == "ping":
                await self.send({"type": "pong"})
                continue
            return message

    async def init(self, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        await self.send({"type": "connection_init", "payload": payload or {}})
        return await self.receive()

    async def subscribe(
        self, operation_id: str, query: str, variables: dict[str, Any] | None = None
    ) -> None:
        payload: dict[str, Any] = {"query": query, "variables": variables or {}}
        await self.send({"id": operation_id, "type": "subscribe", "payload": payload})

    async def next(self, operation_id: str) -> dict[str, Any]:
        """The next result of one operation (its ``data``; errors fail the test)."""
        message = await self.receive()
        assert message.get("id") == operation_id, message
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message["payload"]["errors"]
        data: dict[str, Any] = message["payload"]["data"]
        return data


def bearer(token: str | None) -> dict[str, Any]:
    return {"Authorization": f"Bearer {token}"} if token else {}


@asynccontextmanager
async def live_client(
    url: str, token: str | None = None, *, init: bool = True, **options: Any
) -> AsyncIterator[LiveClient]:
    """A connection, acknowledged (with ``token``'s bearer in ``connection_init``)."""
    async with connect(url, subprotocols=[PROTOCOL], **options) as ws:  # type: ignore[list-item]
        client = LiveClient(ws)
        if init:
            ack = await client.init(bearer(token))
            assert ack["type"] == "connection_ack", ack
        yield client
