"""`serve` and a PostgreSQL database it cannot reach at start: one that comes up meanwhile (a
container started beside it) is waited for, said once; one that stays away, or refuses for
another reason (no such database), is said in one line with exit status 2, not a trace."""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.e2e.test_serve import (
    START_TIMEOUT,
    Server,
    free_loopback_port,
    kill_if_running,
    start_serve,
    wait_until_healthy,
)
from tests.socket_relay import SocketRelay, relayed_url, socket_of


def _exited(server: Server) -> int:
    try:
        return server.process.wait(timeout=START_TIMEOUT)
    except subprocess.TimeoutExpired:
        kill_if_running(server)
        pytest.fail(f"serve did not exit:\n{server.output()}")


def _said(server: Server) -> list[str]:
    """What serve wrote, line by line, without the lines of an empty output."""
    return [line for line in server.output().splitlines() if line.strip()]


def test_serve_without_its_database_says_so_in_one_line(
    migrated_postgresql_url: str, tmp_path: Path
) -> None:
    nowhere = relayed_url(make_url(migrated_postgresql_url), free_loopback_port())
    database = nowhere.render_as_string(hide_password=False)
    server = start_serve(database, tmp_path / "serve.log", "--wait-for-database", "0")

    assert _exited(server) == 2
    [line] = _said(server)
    assert line.startswith("error: the database at postgresql://")
    assert "cannot be reached (waited 0 s)" in line


def test_serve_refused_by_its_database_fails_at_once_without_waiting(
    migrated_postgresql_url: str, tmp_path: Path
) -> None:
    missing = make_url(migrated_postgresql_url).set(database="no_such_database")
    database = missing.render_as_string(hide_password=False)
    began = time.monotonic()
    server = start_serve(database, tmp_path / "serve.log", "--wait-for-database", "3600")

    assert _exited(server) == 2
    assert time.monotonic() - began < START_TIMEOUT  # not the hour it would wait for
    [line] = _said(server)
    assert line.startswith("error: database error:")
    assert '"no_such_database" does not exist' in line


@contextmanager
def _relay_in_a_thread(
    target: Path | tuple[str, int],
) -> Iterator[tuple[SocketRelay, asyncio.AbstractEventLoop]]:
    """A relay on an event loop of its own thread: the test's waits block, the relay runs."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    relay = SocketRelay(target)
    try:
        yield relay, loop
    finally:
        asyncio.run_coroutine_threadsafe(relay.close(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def test_serve_waits_for_a_database_that_comes_up(
    migrated_postgresql_url: str, tmp_path: Path
) -> None:
    direct = make_url(migrated_postgresql_url)
    port = free_loopback_port()  # where the database will answer, once the relay listens
    database = relayed_url(direct, port).render_as_string(hide_password=False)
    with _relay_in_a_thread(socket_of(direct)) as (relay, loop):
        server = start_serve(database, tmp_path / "serve.log", "--wait-for-database", "120")
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while "waiting up to 120 s for the database" not in server.output():
                assert server.process.poll() is None, server.output()
                assert time.monotonic() < deadline, server.output()
                time.sleep(0.05)

            asyncio.run_coroutine_threadsafe(relay.open(port), loop).result(timeout=10)

            assert wait_until_healthy(server)["status"] == "ok"
            assert server.output().count("waiting up to") == 1  # said once
        finally:
            kill_if_running(server)
