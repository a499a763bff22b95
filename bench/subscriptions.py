"""Subscription fan-out: N open WebSocket subscribers to one article, one rating at a time.

    python -m bench.subscriptions [--quick] [--rounds R]

``evidence-ledger serve`` runs as its own process on a fresh SQLite file (the sample article
loaded). N clients in this process (asyncio, ``websockets``; full: 1,000, quick: 50) each
open a connection and subscribe to ``articleUpdated`` of the sample article over
graphql-transport-ws. Then, R times, a rater revises their rating of it over HTTP, and the
time is taken from the mutation's answer (its commit is before it) to the last subscriber
receiving the update (and from the request being sent, an upper bound). The server's
resident memory (``VmRSS``) is read before the connections open and once they are all
subscribed: the difference over N is the memory per open subscription.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

import httpx
from websockets.asyncio.client import ClientConnection, connect

from bench._report import machine
from ledger.store.db import create_engine
from ledger.use_cases.sample import SAMPLE_ARTICLE_ID
from ledger.use_cases.tokens import issue_token

FULL, QUICK = 1000, 50
CONSOLE_SCRIPT = Path(sys.executable).with_name("evidence-ledger")
LOOPBACK = "127.0.0.1"
SUBSCRIBE = """
subscription($id: ID!) { articleUpdated(id: $id) { version disciplineScores { ratingCount } } }
"""
SUBMIT = """
mutation($input: %sRatingInput!) { %sRating(input: $input) { __typename } }
"""
RATER = "sample-physician-4"  # the sample's physician who has not rated it yet


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def _subscriber(url: str, ready: asyncio.Queue[ClientConnection]) -> None:
    ws = await connect(url, subprotocols=["graphql-transport-ws"], max_queue=None)  # type: ignore[list-item]
    await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    payload = {"query": SUBSCRIBE, "variables": {"id": SAMPLE_ARTICLE_ID}}
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    assert json.loads(await ws.recv())["type"] == "next"  # the article as it stands
    await ready.put(ws)


async def _received(ws: ClientConnection) -> float:
    """When this subscriber got its next update (each waits with none pending)."""
    while True:
        message = json.loads(await ws.recv())
        if message["type"] == "next":
            return time.perf_counter()


async def _round(
    client: httpx.AsyncClient, token: str, subscribers: list[ClientConnection], n: int
) -> tuple[float, float]:
    verb = "Submit" if n == 0 else "Revise"
    waiting = [asyncio.create_task(_received(ws)) for ws in subscribers]
    rating = {"articleId": SAMPLE_ARTICLE_ID, "relevance": n % 5 + 3, "newsworthiness": 4}
    sent = time.perf_counter()
    answer = await client.post(
        "/graphql",
        json={"query": SUBMIT % (verb, verb.lower()), "variables": {"input": rating}},
        headers={"authorization": f"Bearer {token}"},
    )
    answered = time.perf_counter()
    assert answer.status_code == 200, f"the rating was answered {answer.status_code}: {answer.text}"
    assert answer.json()["data"][f"{verb.lower()}Rating"]["__typename"] == "ArticlePayload"
    last = max(await asyncio.gather(*waiting))
    return (last - answered) * 1000, (last - sent) * 1000


def _serve(database: str, port: int, log: IO[bytes], n: int) -> subprocess.Popen[bytes]:
    command = [str(CONSOLE_SCRIPT), "serve", "--database", database, "--host", LOOPBACK]
    command += ["--port", str(port), "--mutations-per-minute", "0"]
    # Every open subscription holds a connection: past the limit (1,000 by default) the
    # raters' own requests would be answered 503.
    command += ["--limit-concurrency", str(n + 100)]
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)


async def _run(n: int, rounds: int, directory: Path) -> list[str]:
    database = f"sqlite:///{directory / 'ledger.db'}"
    port = _free_port()
    log = (directory / "serve.log").open("wb")
    server = _serve(database, port, log, n)
    base = f"http://{LOOPBACK}:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            for _ in range(600):
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            engine = create_engine(database)
            token = (await issue_token(engine, "rater", rater_id=RATER)).token
            await engine.dispose()
            before = _rss_kib(server.pid)
            ready: asyncio.Queue[ClientConnection] = asyncio.Queue()
            url = f"ws://{LOOPBACK}:{port}/graphql"
            for start in range(0, n, 50):  # opened 50 at a time, as a burst of page loads
                batch = range(start, min(n, start + 50))
                await asyncio.gather(*(_subscriber(url, ready) for _ in batch))
            subscribers = [ready.get_nowait() for _ in range(n)]
            per_subscription = (_rss_kib(server.pid) - before) / n
            timings = [await _round(client, token, subscribers, r) for r in range(rounds)]
            for ws in subscribers:
                await ws.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    from_answer = [t[0] for t in timings]
    from_request = [t[1] for t in timings]
    return [
        *machine(None),
        f"subscribers: {n} to one article, SQLite, one serve process; {rounds} ratings",
        "commit (mutation's answer) to the last subscriber: "
        f"median {statistics.median(from_answer):.1f} ms, max {max(from_answer):.1f} ms",
        "request sent to the last subscriber: "
        f"median {statistics.median(from_request):.1f} ms, max {max(from_request):.1f} ms",
        f"server memory per open subscription: {per_subscription:.1f} KiB (RSS difference / N)",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK} subscribers, not {FULL}")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        lines = asyncio.run(_run(QUICK if args.quick else FULL, args.rounds, Path(directory)))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
