"""``ledgerEvents`` across a killed connection, and a client that stops reading: real sockets,
on both backends, while a writer keeps writing."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from graph.http.websocket import SLOW_CONSUMER_CODE
from graph.settings import Settings
from tests.graph.helpers import ledger_position, register
from tests.graph.live.client import PATIENCE, PROTOCOL, Served, live_client, served

EVENTS = """
subscription($after: Int!) {
  ledgerEvents(after: $after) { __typename ... on LedgerEvent { position type %s } }
}
"""
WRITES = 40


async def write(live: Served, count: int, abstract: str = "Falls fell.", by: str = "") -> None:
    for number in range(count):
        title = f"Written while followed {by}{number}"
        await register(live.api, title, ["Falls"], abstract=abstract)


async def test_ledger_events_resume_after_a_killed_connection_without_a_gap_or_a_repeat(
    live: Served,
) -> None:
    auditor = await live.api.token("auditor")
    seen: list[int] = []
    writing = asyncio.create_task(write(live, WRITES))
    async with live_client(live.url, auditor) as client:
        await client.subscribe("1", EVENTS % "", {"after": 0})
        while len(seen) < 10:
            seen.append((await client.next("1"))["ledgerEvents"]["position"])
        # Killed mid-stream, without a closing handshake, while the writer goes on.
        assert client.ws.transport is not None
        client.ws.transport.abort()
    async with live_client(live.url, auditor) as client:
        await client.subscribe("2", EVENTS % "", {"after": seen[-1]})
        await writing
        head = await ledger_position(live.api)
        while seen[-1] < head:
            seen.append((await client.next("2"))["ledgerEvents"]["position"])

    assert seen == list(range(1, head + 1))


@pytest.fixture
async def impatient(database_url: str) -> AsyncIterator[Served]:
    """A service whose subscriptions may fall at most 2 wake-ups behind, with small send
    buffers (a client that stops reading blocks the server's sending soon)."""
    settings = Settings(database_url=database_url, live_send_patience=2)
    async with served(settings, send_buffer=8192) as started:
        yield started


class StillClient:
    """A graphql-transport-ws client over a socket with small buffers that reads nothing once
    it has subscribed, until told to (websockets' sans-I/O protocol, so that no library
    reads ahead on its behalf)."""

    def __init__(self, url: str) -> None:
        self.protocol = ClientProtocol(parse_uri(url), subprotocols=[Subprotocol(PROTOCOL)])
        self.url = url

    async def start(self, token: str, query: str, variables: dict[str, object]) -> None:
        host, port = self.url.removeprefix("ws://").split("/")[0].split(":")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect((host, int(port)))
        sock.setblocking(False)
        # A small stream buffer: the transport stops reading once it holds a few KiB.
        self.reader, self.writer = await asyncio.open_connection(sock=sock, limit=1024)
        self.protocol.send_request(self.protocol.connect())
        self._flush()
        while self.protocol.state is State.CONNECTING:  # the handshake's answer
            self.protocol.receive_data(await self.reader.read(4096))
        self._send({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        ack = await self._next_text()
        assert ack["type"] == "connection_ack", ack
        self._send(
            {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}
        )

    async def close_code(self) -> int | None:
        """Read everything the server sent, up to its close frame: the close code."""
        async with asyncio.timeout(PATIENCE):
            while self.protocol.close_rcvd is None:
                data = await self.reader.read(65536)
                if not data:
                    return None
                self.protocol.receive_data(data)
                self.protocol.events_received()
        self.writer.close()
        return self.protocol.close_rcvd.code

    def _send(self, message: dict[str, object]) -> None:
        self.protocol.send_text(json.dumps(message).encode())
        self._flush()

    def _flush(self) -> None:
        self.writer.write(b"".join(self.protocol.data_to_send()))

    async def _next_text(self) -> dict[str, Any]:
        while True:
            for event in self.protocol.events_received():
                if isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                    message: dict[str, Any] = json.loads(event.data)
                    return message
            self.protocol.receive_data(await self.reader.read(4096))


async def live_stats(live: Served) -> dict[str, int]:
    stats: dict[str, int] = (await live.api.client.get("/healthz")).json()["live"]
    return stats


async def test_a_client_that_stops_reading_is_closed_as_a_slow_consumer(
    impatient: Served,
) -> None:
    live = impatient
    client = StillClient(live.url)
    await client.start(await live.api.token("auditor"), EVENTS % "payload", {"after": 0})
    # The client reads nothing more while large events are written, until the server has
    # ended the subscription that could not send them.
    async with asyncio.timeout(PATIENCE * 4):
        while (await live_stats(live))["closedBehind"] == 0:
            await write(live, 5, abstract="Long. " * 3000)
    stats = await live_stats(live)

    assert stats["subscriptions"] == 0  # what it held is let go at once
    assert await client.close_code() == SLOW_CONSUMER_CODE


async def test_a_reading_client_is_not_closed(impatient: Served) -> None:
    """The bound is on wake-ups that come while one message waits to be sent, not on how
    much is written: a client that reads keeps its subscription whatever the writers do,
    here four of them at once, many appends committing while the subscription reads and
    sends what came before."""
    live = impatient
    auditor = await live.api.token("auditor")
    async with live_client(live.url, auditor) as client:
        await client.subscribe("1", EVENTS % "", {"after": 0})
        await asyncio.gather(*(write(live, WRITES // 4, by=f"by {w}: ") for w in range(4)))
        head = await ledger_position(live.api)
        last = 0
        while last < head:
            last = (await client.next("1"))["ledgerEvents"]["position"]

    assert (await live_stats(live))["closedBehind"] == 0
