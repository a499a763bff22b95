"""`evidence-ledger serve` as a real process: it starts, answers, takes a change, and stops cleanly.

Only loopback addresses are used.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

CONSOLE_SCRIPT = Path(sys.executable).parent / "evidence-ledger"
LOOPBACK = "127.0.0.1"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0

SEED_QUERY = """
{
  article(id: "e7d05feceeac5a68") {
    id
    citation { line }
    studyType
    disciplineScores { discipline { name } score outOf ratingCount }
    topics { name }
    raterComments { discipline { name } body }
    subscriberComments { author body }
  }
}
"""

REGISTER = """
mutation($input: RegisterArticleInput!) {
  registerArticle(input: $input) {
    __typename
    ... on ArticlePayload { position replayed article { id citation { title } topics { name } } }
    ... on Error { code message }
  }
}
"""


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def child_environment() -> dict[str, str]:
    """The environment without a DATABASE_URL: the command line names the database."""
    return {
        name: value
        for name, value in os.environ.items()
        if name not in ("DATABASE_URL", "EVIDENCE_LEDGER_PRODUCTION")
    }


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def wait_until_healthy(server: Server) -> dict[str, Any]:
    deadline = time.monotonic() + START_TIMEOUT
    last: str = "no answer yet"
    # One client for every try: each new one loads the CA bundle (about 25 ms of CPU), and a
    # start under load takes dozens of tries.
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                pytest.fail(f"serve exited with {server.process.returncode}:\n{server.output()}")
            try:
                response = client.get(f"{server.base_url}/healthz")
            except httpx.TransportError as error:
                last = repr(error)
            else:
                if response.status_code == 200:
                    health: dict[str, Any] = response.json()
                    return health
                last = f"{response.status_code} {response.text}"
            time.sleep(0.1)
    pytest.fail(f"/healthz did not answer 200 in {START_TIMEOUT} s ({last}):\n{server.output()}")


def start_serve(database: str, log: Path, *options: str) -> Server:
    """`evidence-ledger serve` on ``database`` with ``options``, on a loopback port of its own,
    its output going to ``log``. The console script is executed directly (no shell), so the
    child's pid is the server's own: a signal to it reaches uvicorn, not a wrapper."""
    port = free_loopback_port()
    command = [str(CONSOLE_SCRIPT), "serve", "--database", database]
    command += ["--host", LOOPBACK, "--port", str(port), *options]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=child_environment(),
            start_new_session=True,
        )
    return Server(process, f"http://{LOOPBACK}:{port}", log)


def kill_if_running(server: Server) -> None:
    """Kill the server and whatever it started (``--workers`` spawns processes that would
    outlive a killed supervisor), and wait for it. The server leads its own process group,
    which lives on while any of its processes does (so its id is not reused meanwhile)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=STOP_TIMEOUT)


@pytest.fixture
def server(empty_database_url: str, tmp_path: Path) -> Iterator[Server]:
    running = start_serve(empty_database_url, tmp_path / "serve.log")
    try:
        yield running
    finally:
        kill_if_running(running)


def create_token(database: str, role: str) -> str:
    result = subprocess.run(
        [str(CONSOLE_SCRIPT), "token", "create", "--role", role, "--database", database],
        capture_output=True,
        text=True,
        timeout=60,
        env=child_environment(),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert token.startswith("el_"), result.stdout
    assert "\n" not in token
    return token


@pytest.mark.long(5)
def test_serve_answers_takes_a_change_and_stops_cleanly(
    server: Server, empty_database_url: str
) -> None:
    health = wait_until_healthy(server)
    assert health["status"] == "ok"
    assert health["position"] > 0  # the sample article was loaded into the empty ledger

    with httpx.Client(base_url=server.base_url, timeout=10.0) as client:
        seed = client.post("/graphql", json={"query": SEED_QUERY})
        assert seed.status_code == 200, seed.text
        article = seed.json()["data"]["article"]
        assert article["citation"]["line"].startswith("Her YF, Kubrova E, Martinez Alvarez GA")
        assert article["studyType"] == "Systematic review"
        assert article["disciplineScores"] == [
            {"discipline": {"name": "Physician"}, "score": 6, "outOf": 7, "ratingCount": 3}
        ]
        assert [t["name"] for t in article["topics"]] == ["Back Pain", "Chronic Low Back Pain"]
        assert len(article["raterComments"]) == 3
        assert article["subscriberComments"] == []

        token = create_token(empty_database_url, "editor")
        registered = client.post(
            "/graphql",
            json={
                "query": REGISTER,
                "variables": {
                    "input": {
                        "title": "Walking programmes for chronic low back pain",
                        "journal": "Journal of Trials",
                        "studyType": "Randomized controlled trial",
                        "abstract": "People walked; their backs hurt less.",
                        "topics": ["Back Pain", "Exercise"],
                    }
                },
            },
            headers={"authorization": f"Bearer {token}"},
        )
        assert registered.status_code == 200, registered.text
        result = registered.json()["data"]["registerArticle"]
        assert result["__typename"] == "ArticlePayload", result
        assert result["position"] > health["position"]
        assert result["replayed"] is False

        listed = client.post(
            "/graphql", json={"query": "{ articles { edges { node { citation { title } } } } }"}
        )
        titles = [
            e["node"]["citation"]["title"] for e in listed.json()["data"]["articles"]["edges"]
        ]
        assert titles[0] == "Walking programmes for chronic low back pain"
        assert len(titles) == 2
        assert client.get("/healthz").json()["position"] == result["position"]

        refused = client.post(
            "/graphql", json={"query": SEED_QUERY}, headers={"authorization": "Bearer el_x_y"}
        )
        assert refused.status_code == 401

    server.process.send_signal(signal.SIGTERM)
    try:
        code = server.process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"serve did not stop within {STOP_TIMEOUT} s of SIGTERM:\n{server.output()}")
    output = server.output()
    assert code == 0, output
    assert "Traceback" not in output, output


@pytest.mark.long(5)
def test_serve_keeps_the_ledger_across_a_restart(server: Server, empty_database_url: str) -> None:
    first = wait_until_healthy(server)
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(timeout=STOP_TIMEOUT)  # how it exits is the test above's business

    port = free_loopback_port()
    again = subprocess.Popen(
        [
            str(CONSOLE_SCRIPT),
            "serve",
            "--database",
            empty_database_url,
            "--host",
            LOOPBACK,
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=child_environment(),
    )
    restarted = Server(again, f"http://{LOOPBACK}:{port}", server.log)
    try:
        second = wait_until_healthy(restarted)
        # The sample is loaded only into an empty ledger: a restart appends nothing.
        assert second["position"] == first["position"]
        assert second["revision"] == first["revision"]
    finally:
        again.send_signal(signal.SIGTERM)
        again.wait(timeout=STOP_TIMEOUT)
