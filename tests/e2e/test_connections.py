"""`evidence-ledger serve` and clients that leave early or never finish: a raw socket each.

Only loopback addresses are used.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_serve import (
    CONSOLE_SCRIPT,
    LOOPBACK,
    STOP_TIMEOUT,
    Server,
    child_environment,
    free_loopback_port,
    wait_until_healthy,
)

LOG_TIMEOUT = 30.0

HALF_A_BODY = (
    b"POST /graphql HTTP/1.1\r\nHost: ledger\r\nContent-Type: application/json\r\n"
    b"Content-Length: 200\r\n\r\n"
    b'{"query": "{ topics { name '
)


@contextmanager
def serving(database_url: str, log: Path, *options: str) -> Iterator[Server]:
    """`evidence-ledger serve` with ``options``, answering on a port of its own."""
    port = free_loopback_port()
    command = [str(CONSOLE_SCRIPT), "serve", "--database", database_url]
    command += ["--host", LOOPBACK, "--port", str(port), *options]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, env=child_environment()
        )
    running = Server(process, f"http://{LOOPBACK}:{port}", log)
    try:
        wait_until_healthy(running)
        yield running
    finally:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)


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
    empty_database_url: str, tmp_path: Path
) -> None:
    with serving(empty_database_url, tmp_path / "serve.log") as server:
        client = connected(server)
        client.sendall(HALF_A_BODY)
        client.close()

        line = logged_request(server, "POST", "/graphql")

        assert line["status"] == 499
        output = server.output()
        assert "Exception in ASGI application" not in output
        assert "Traceback" not in output
