"""`evidence-ledger serve` and clients that leave early or never finish: a raw socket each.

Only loopback addresses are used.
"""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_serve import (
    Server,
    kill_if_running,
    start_serve,
    wait_until_healthy,
)

LOG_TIMEOUT = 30.0

HALF_A_BODY = (
    b"POST /graphql HTTP/1.1\r\nHost: ledger\r\nContent-Type: application/json\r\n"
    b"Content-Length: 200\r\n\r\n"
    b'{"query": "{ topics { name '
)


@pytest.fixture
def ledger_file(tmp_path: Path) -> str:
    """A new SQLite ledger: what is tried here is the HTTP server's, before any request
    reaches the database, so it is the same on either backend."""
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@contextmanager
def serving(database_url: str, log: Path, *options: str) -> Iterator[Server]:
    """`evidence-ledger serve` with ``options``, answering on a port of its own."""
    running = start_serve(database_url, log, *options)
    try:
        wait_until_healthy(running)
        yield running
    finally:
        kill_if_running(running)


def request_log(server: Server) -> list[dict[str, Any]]:
    """The request log's lines so far, parsed."""
    lines = [line for line in server.output().splitlines() if line.startswith('{"request_id"')]
    return [json.loads(line) for line in lines]


def logged_request(server: Server, method: str, path: str) -> dict[str, Any]:
    """The first request log line of ``method`` ``path``, once it is written."""
    deadline = time.monotonic() + LOG_TIMEOUT
    while time.monotonic() < deadline:
        for line in request_log(server):
            if (line["method"], line["path"]) == (method, path):
                return line
        time.sleep(0.05)
    pytest.fail(f"no {method} {path} was logged in {LOG_TIMEOUT} s:\n{server.output()}")


def connected(server: Server) -> socket.socket:
    host, port = server.base_url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=LOG_TIMEOUT)


def test_a_client_that_leaves_mid_body_is_logged_as_a_disconnect_without_a_traceback(
    ledger_file: str, tmp_path: Path
) -> None:
    with serving(ledger_file, tmp_path / "serve.log") as server:
        client = connected(server)
        client.sendall(HALF_A_BODY)
        client.close()

        line = logged_request(server, "POST", "/graphql")

        assert line["status"] == 499
        output = server.output()
        assert "Exception in ASGI application" not in output
        assert "Traceback" not in output


# Small deadlines for the test, and the bound within which the server must have closed a
# connection that misses them (their sum, with room for a loaded machine).
HEAD_SECONDS = 1
BODY_SECONDS = 1
CUT_OFF_WITHIN = 15.0
TRICKLE_EVERY = 0.1
TRICKLERS = 3  # of each kind
HEAD = b"POST /graphql HTTP/1.1\r\nHost: ledger\r\nContent-Type: application/json\r\n"
BODY = b'{"query": "{ topics { name } }"}'


def trickled_until_closed(server: Server, at_once: bytes, trickled: bytes) -> bytes:
    """Send ``at_once``, then ``trickled`` a byte at a time, TRICKLE_EVERY apart (then
    nothing more), until the server closes the connection; returns what it answered before
    closing. Fails if the connection is still open CUT_OFF_WITHIN seconds after it was made."""
    answer = b""
    with connected(server) as client:
        client.sendall(at_once)
        client.setblocking(False)
        deadline = time.monotonic() + CUT_OFF_WITHIN
        pending = trickled
        while time.monotonic() < deadline:
            try:
                if pending:
                    client.send(pending[:1])
                    pending = pending[1:]
                readable, _, _ = select.select([client], [], [], TRICKLE_EVERY)
                if readable:
                    chunk = client.recv(65536)
                    if not chunk:
                        return answer
                    answer += chunk
            except (BrokenPipeError, ConnectionResetError):
                return answer
    pytest.fail(f"still open after {CUT_OFF_WITHIN} s, having answered {answer!r}")


def test_clients_that_send_nothing_or_trickle_are_cut_off_while_healthz_answers(
    ledger_file: str, tmp_path: Path
) -> None:
    deadlines = ["--timeout-request-head", str(HEAD_SECONDS)]
    deadlines += ["--timeout-request-body", str(BODY_SECONDS)]
    body_announced = HEAD + b"Content-Length: 1000\r\n\r\n"
    trickles = {  # what is sent at once, and what is then trickled
        "nothing": (b"", b""),
        "a trickled head": (b"", HEAD * 100),
        "a trickled body": (body_announced, BODY * 100),
    }
    with (
        serving(ledger_file, tmp_path / "serve.log", *deadlines) as server,
        ThreadPoolExecutor(max_workers=len(trickles) * TRICKLERS) as clients,
    ):
        cut_off = {
            (kind, n): clients.submit(trickled_until_closed, server, *sent)
            for kind, sent in trickles.items()
            for n in range(TRICKLERS)
        }
        health = []
        while not all(answer.done() for answer in cut_off.values()):
            health.append(httpx.get(f"{server.base_url}/healthz", timeout=CUT_OFF_WITHIN))
        answers = {key: answer.result() for key, answer in cut_off.items()}

    assert health, "the slow clients were cut off before /healthz was asked"
    assert [response.status_code for response in health] == [200] * len(health)
    for (kind, _), answer in answers.items():
        if kind == "a trickled body":
            assert answer.startswith(b"HTTP/1.1 408 "), answer
            assert b'"code": "REQUEST_TIMEOUT"' in answer
        else:
            assert answer == b"", (kind, answer)


def test_past_the_connection_limit_a_request_is_answered_503_at_once(
    ledger_file: str, tmp_path: Path
) -> None:
    limit = 3
    log = tmp_path / "serve.log"
    with serving(ledger_file, log, "--limit-concurrency", str(limit)) as server:
        idle = [connected(server) for _ in range(limit - 1)]
        try:
            refused = httpx.get(f"{server.base_url}/healthz", timeout=CUT_OFF_WITHIN)
        finally:
            for client in idle:
                client.close()

    assert refused.status_code == 503
    assert "Exceeded concurrency limit." in server.output()
