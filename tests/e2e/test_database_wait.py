"""`serve` and a PostgreSQL database it cannot reach at start: one that comes up meanwhile (a
container started beside it) is waited for, said once; one that stays away, or accepts and
never answers, is said in one line with exit status 2 once the wait is over; one that
refuses for another reason (no such database, a TLS handshake that fails) is said at once;
one that answers the first look and is gone by the service's start fails the start in one
line, with uvicorn's status for it (3), or 2 where ``serve --workers`` found it gone before
its workers started. Never a trace.

The database is reached through a relay (``tests.socket_relay``) on an event loop of its own
thread, which the test cuts (connections reset), stalls (accepted, never answered) or mends,
on a port it holds from the start."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from graph.cli.serve import WORKER_PING_SECONDS
from tests.e2e.test_serve import (
    START_TIMEOUT,
    Server,
    kill_if_running,
    start_serve,
    wait_until_healthy,
)
from tests.socket_relay import SocketRelay, relayed_url, socket_of

# Far less than the hour a test asks serve to wait where it must not wait at all, and far
# more than the few seconds it does wait elsewhere, whatever the machine's load.
PROMPTLY = 20.0


@dataclass
class Relayed:
    relay: SocketRelay
    loop: asyncio.AbstractEventLoop
    database: str  # the URL serve is given: through the relay

    def mend(self) -> None:
        self.loop.call_soon_threadsafe(self.relay.mend)


@contextmanager
def _relayed(
    database_url: str, *, stalled: bool = False, relayed_first: int = 0
) -> Iterator[Relayed]:
    """The database behind a relay that resets every connection (or, ``stalled``, takes
    them and never answers; or resets those after the first ``relayed_first``) until it is
    mended."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    direct = make_url(database_url)
    relay = SocketRelay(socket_of(direct))

    async def opened() -> int:
        port = await relay.open()
        if stalled:
            relay.stall()
        elif relayed_first:
            relay.cut_after(relayed_first)
        else:
            await relay.cut()
        return port

    try:
        port = asyncio.run_coroutine_threadsafe(opened(), loop).result(timeout=10)
        url = relayed_url(direct, port).render_as_string(hide_password=False)
        yield Relayed(relay, loop, url)
    finally:
        asyncio.run_coroutine_threadsafe(relay.close(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


def _exited(server: Server, within: float = START_TIMEOUT) -> int:
    try:
        return server.process.wait(timeout=within)
    except subprocess.TimeoutExpired:
        kill_if_running(server)
        pytest.fail(f"serve did not exit within {within} s:\n{server.output()}")


def _said(server: Server) -> list[str]:
    return [line for line in server.output().splitlines() if line.strip()]


def test_serve_without_its_database_says_so_in_one_line(
    migrated_postgresql_url: str, tmp_path: Path
) -> None:
    with _relayed(migrated_postgresql_url) as relayed:
        server = start_serve(relayed.database, tmp_path / "serve.log", "--wait-for-database", "0")
        assert _exited(server) == 2
    [line] = _said(server)
    assert line.startswith("error: the database at postgresql://")
    assert "cannot be reached (waited 0 s)" in line


@pytest.mark.parametrize("stalled", [False, True], ids=["resets", "never answers"])
def test_serve_waits_its_time_for_a_database_away_then_says_so_in_one_line(
    migrated_postgresql_url: str, tmp_path: Path, stalled: bool
) -> None:
    with _relayed(migrated_postgresql_url, stalled=stalled) as relayed:
        began = time.monotonic()
        server = start_serve(relayed.database, tmp_path / "serve.log", "--wait-for-database", "1")
        assert _exited(server, PROMPTLY) == 2
        assert time.monotonic() - began > 1.0  # it did wait
    *waiting, error = _said(server)
    # Refused at once, it is asked again (said once); never answering, its one try (of at
    # least 2 s) outlasts the wait.
    assert len(waiting) == (0 if stalled else 1)
    assert all(w.startswith("waiting up to 1 s for the database at postgres") for w in waiting)
    assert error.startswith("error: the database at postgresql://")
    assert "cannot be reached (waited" in error


def test_serve_refused_by_its_database_fails_at_once_without_waiting(
    migrated_postgresql_url: str, tmp_path: Path
) -> None:
    missing = make_url(migrated_postgresql_url).set(database="no_such_database")
    database = missing.render_as_string(hide_password=False)
    server = start_serve(database, tmp_path / "serve.log", "--wait-for-database", "3600")

    assert _exited(server, PROMPTLY) == 2  # not the hour it would wait for a database away
    [line] = _said(server)
    assert line.startswith("error: database error:")
    assert '"no_such_database" does not exist' in line


def test_serve_waits_for_a_database_that_comes_up(
    migrated_postgresql_url: str, tmp_path: Path
) -> None:
    with _relayed(migrated_postgresql_url) as relayed:
        server = start_serve(relayed.database, tmp_path / "serve.log", "--wait-for-database", "120")
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while "waiting up to 120 s for the database" not in server.output():
                assert server.process.poll() is None, server.output()
                assert time.monotonic() < deadline, server.output()
                time.sleep(0.05)

            relayed.mend()

            assert wait_until_healthy(server)["status"] == "ok"
            assert server.output().count("waiting up to") == 1  # said once
        finally:
            kill_if_running(server)


# Where the database is found gone: the workers, the connections the relay lets through
# (serve's first look; then, with workers, the database prepared before they start), the
# exit status, and who says it.
CANNOT_START = "ERROR:    the service cannot start: the database at "
GONE_AT_START = [
    pytest.param(1, 1, 3, CANNOT_START, id="the app's start"),
    pytest.param(2, 1, 2, "error: the database at ", id="before the workers start"),
    # uvicorn's supervisor finds its failed workers out at its next health check of them,
    # which here has waited out its time (WORKER_PING_SECONDS) in every run so far.
    pytest.param(2, 2, 3, CANNOT_START, id="the workers' start", marks=pytest.mark.long(33)),
]


@pytest.mark.parametrize(("workers", "relayed_first", "status", "said_by"), GONE_AT_START)
def test_serve_whose_database_goes_away_while_it_starts_says_so_in_one_line(
    migrated_postgresql_url: str,
    tmp_path: Path,
    workers: int,
    relayed_first: int,
    status: int,
    said_by: str,
) -> None:
    """The database answers ``serve``'s first look, then is gone while the service starts:
    the start fails, said in one line (a line per worker that found it gone), with a status
    a supervisor sees as a failure."""
    with _relayed(migrated_postgresql_url, relayed_first=relayed_first) as relayed:
        server = start_serve(
            relayed.database,
            tmp_path / "serve.log",
            "--wait-for-database",
            "3600",
            "--workers",
            str(workers),
        )
        within = PROMPTLY + (WORKER_PING_SECONDS if workers > 1 else 0)
        assert _exited(server, within) == status
    named = make_url(relayed.database).render_as_string(hide_password=True)

    said = _said(server)
    assert not any("Traceback" in line for line in said), server.output()
    gone = [line for line in said if "cannot be reached" in line]
    assert 1 <= len(gone) <= workers, server.output()
    assert all(line.startswith(f"{said_by}{named} cannot be reached") for line in gone), gone
    if status == 2:  # said by serve itself, before uvicorn
        assert said == gone


@contextmanager
def _failing_tls() -> Iterator[int]:
    """A loopback port whose server agrees to TLS (PostgreSQL's ``S`` to an SSLRequest) and
    then answers the handshake with bytes that are not TLS: every TLS client fails there."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            with client:
                client.settimeout(5)
                try:
                    client.recv(8)  # the SSLRequest
                    client.sendall(b"S")
                    client.recv(4096)  # the ClientHello, or its first part
                    client.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
                    # Closed only once the client has: closing with unread bytes would reset
                    # the connection, which a client could take for a network's fault.
                    client.shutdown(socket.SHUT_WR)
                    while client.recv(4096):
                        pass
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        done.set()
        thread.join(timeout=10)
        listener.close()


def test_serve_whose_tls_handshake_fails_says_so_at_once_without_waiting(
    migrated_postgresql_url: str, tmp_path: Path
) -> None:
    """A TLS error (a wrong certificate, a server that does not speak it) is not a database
    still starting: asking again for an hour would not mend it."""
    with _failing_tls() as port:
        url = make_url(migrated_postgresql_url)
        query = {k: v for k, v in url.query.items() if k != "host"} | {"sslmode": "require"}
        database = url.set(host="127.0.0.1", port=port, query=query)
        server = start_serve(
            database.render_as_string(hide_password=False),
            tmp_path / "serve.log",
            "--wait-for-database",
            "3600",
        )
        assert _exited(server, PROMPTLY) == 2

    [line] = _said(server)
    # Named as it was given (libpq's ``sslmode``), without its password.
    named = database.render_as_string(hide_password=True)
    assert line.startswith(f"error: the database at {named} cannot be opened: SSLError: "), line
    assert "WRONG_VERSION_NUMBER" in line, line
