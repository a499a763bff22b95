"""A SIGKILL of `evidence-ledger serve` under load loses and duplicates no acknowledged mutation.

On each backend (a SQLite file and PostgreSQL), four clients send ratings, revisions and
subscriber comments concurrently, each with an idempotency key of its own, and the server process
is killed with SIGKILL while they are still sending. After a restart on the same database:

- every mutation that was answered with success is in the ledger exactly once, at the position
  the answer gave;
- retrying acknowledged mutations with their keys answers the first answer and appends nothing;
- retrying the mutations whose outcome the clients never learnt succeeds and leaves each of them
  in the ledger exactly once (whether or not the first attempt had committed);
- positions stay dense (1..N), and `evidence-ledger verify` finds the hash chain intact and the
  views equal to a replay.

Only loopback addresses are used.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.store.db import create_engine
from ledger.store.records import RecordedEvent
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases.tokens import issue_token
from tests.e2e.test_serve import (
    CONSOLE_SCRIPT,
    STOP_TIMEOUT,
    Server,
    child_environment,
    kill_if_running,
    start_serve,
    wait_until_healthy,
)

CLIENTS = 4
# The kill comes once this many mutations were acknowledged, while the clients still have far
# more to send (each has dozens planned), so it lands in the middle of the load.
KILL_AFTER = 40
ARTICLES = 6
RATERS = 8
# Submit, then revise twice: each differs from the one before (an unchanged revision is refused).
SCORES = ((4, 5), (5, 4), (6, 6))
REQUEST_TIMEOUT = 30.0
LOAD_TIMEOUT = 120.0
VERIFY_TIMEOUT = 120.0

# mutation field -> (input type, success payload type, the event type one success appends)
MUTATIONS: dict[str, tuple[str, str, str]] = {
    "registerArticle": ("RegisterArticleInput", "ArticlePayload", "ArticleRegistered"),
    "enrollRater": ("EnrollRaterInput", "RaterPayload", "RaterEnrolled"),
    "submitRating": ("SubmitRatingInput", "ArticlePayload", "RatingSubmitted"),
    "reviseRating": ("ReviseRatingInput", "ArticlePayload", "RatingRevised"),
    "postComment": ("PostCommentInput", "ArticlePayload", "CommentPosted"),
}


def document(mutation: str) -> str:
    input_type, payload, _ = MUTATIONS[mutation]
    return (
        f"mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ __typename "
        f"... on {payload} {{ position replayed }} ... on Error {{ code message }} }} }}"
    )


@dataclass(frozen=True)
class Mutation:
    """One mutation exactly as a client sends it, and would send it again to retry it."""

    field: str
    token: str
    input: dict[str, Any]

    @property
    def key(self) -> str:
        return str(self.input["idempotencyKey"])


@dataclass(frozen=True)
class Answer:
    position: int
    replayed: bool


class Refused(Exception):
    """The server answered, but not with the mutation's success payload."""


async def send(client: httpx.AsyncClient, mutation: Mutation) -> Answer:
    """Send one mutation as a JSON POST; transport failures propagate as httpx errors."""
    response = await client.post(
        "/graphql",
        json={"query": document(mutation.field), "variables": {"input": mutation.input}},
        headers={"authorization": f"Bearer {mutation.token}"},
    )
    where = f"{mutation.field} {mutation.key}"
    if response.status_code != 200:
        raise Refused(f"{where}: HTTP {response.status_code} {response.text[:500]}")
    body = response.json()
    if body.get("errors"):
        raise Refused(f"{where}: {body['errors']}")
    result = body["data"][mutation.field]
    if result["__typename"] != MUTATIONS[mutation.field][1]:
        raise Refused(f"{where}: {result}")
    return Answer(int(result["position"]), bool(result["replayed"]))


@dataclass
class Load:
    """What the clients learnt: acknowledged (with the answer), unknown, or refused."""

    acknowledged: dict[str, tuple[Mutation, Answer]] = field(default_factory=dict)
    unknown: list[Mutation] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    enough: asyncio.Event = field(default_factory=asyncio.Event)


async def drive(base_url: str, plan: list[Mutation], load: Load) -> None:
    """Send ``plan`` in order; stop at the first failure, as a client that lost the server."""
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
        for mutation in plan:
            try:
                answer = await send(client, mutation)
            except httpx.TransportError:
                # The request may or may not have committed before the server died.
                load.unknown.append(mutation)
                return
            except Refused as refusal:
                # Every planned mutation is valid: a refusal is a failure, reported at the end.
                load.refused.append(str(refusal))
                return
            load.acknowledged[mutation.key] = (mutation, answer)
            if len(load.acknowledged) >= KILL_AFTER:
                load.enough.set()


async def kill_when_enough(server: Server, load: Load) -> int:
    """SIGKILL the server process itself once enough was acknowledged; returns how many."""
    await load.enough.wait()
    os.kill(server.process.pid, signal.SIGKILL)
    return len(load.acknowledged)


class Servers:
    """`serve` processes on one database; whatever is still running is killed at teardown."""

    def __init__(self, database: str, logs: Path) -> None:
        self.database = database
        self.logs = logs
        self.started: list[Server] = []

    def start(self, name: str) -> Server:
        # No rate limits: the load comes from four clients on a few tokens.
        no_rate_limits = ["--mutations-per-minute", "0", "--address-mutations-per-minute", "0"]
        server = start_serve(self.database, self.logs / f"{name}.log", *no_rate_limits)
        self.started.append(server)
        return server

    def kill_all(self) -> None:
        for server in self.started:
            kill_if_running(server)


@pytest.fixture
def servers(empty_database_url: str, tmp_path: Path) -> Iterator[Servers]:
    started = Servers(empty_database_url, tmp_path)
    try:
        yield started
    finally:
        started.kill_all()


@pytest.fixture
async def crash_engine(empty_database_url: str) -> AsyncIterator[AsyncEngine]:
    """The test's own connection to the database the servers use (tokens, reading the log)."""
    engine = create_engine(empty_database_url)
    yield engine
    await engine.dispose()


def registrations(
    editor: str, articles: list[str], raters: dict[str, str], keys: str
) -> list[Mutation]:
    """An editor's mutations registering ``articles`` (a trial each), then enrolling ``raters``
    (id -> discipline); each idempotency key is ``<keys>-<id>``."""
    return [
        Mutation(
            "registerArticle",
            editor,
            {
                "articleId": article,
                "title": f"Trial {article}",
                "journal": "Journal of Trials",
                "studyType": "Randomized controlled trial",
                "abstract": "People walked; their backs hurt less.",
                "topics": ["Back Pain"],
                "idempotencyKey": f"{keys}-{article}",
            },
        )
        for article in articles
    ] + [
        Mutation(
            "enrollRater",
            editor,
            {"raterId": rater, "discipline": discipline, "idempotencyKey": f"{keys}-{rater}"},
        )
        for rater, discipline in raters.items()
    ]


async def arrange(base_url: str, engine: AsyncEngine, run: str) -> list[list[Mutation]]:
    """Articles and raters registered by an editor over HTTP; one plan of mutations per client."""
    editor = (await issue_token(engine, "editor")).token
    articles = [f"crash-{run}-article-{n}" for n in range(1, ARTICLES + 1)]
    raters = [f"crash-{run}-rater-{n}" for n in range(1, RATERS + 1)]
    disciplines = {rater: "Physician" if n % 2 else "Nurse" for n, rater in enumerate(raters)}
    setup = registrations(editor, articles, disciplines, keys=f"{run}-setup")
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
        for mutation in setup:
            await send(client, mutation)
    # Rater tokens name an enrolled rater, so they are issued only now.
    rater_tokens = {r: (await issue_token(engine, "rater", rater_id=r)).token for r in raters}
    subscribers = [
        (await issue_token(engine, "subscriber", name=f"Subscriber {c}")).token
        for c in range(CLIENTS)
    ]

    # One active rating per rater and article: each (rater, article) pair belongs to one client,
    # which submits and then revises it in order, so no two clients race on the same rating.
    # The test's own articles: the sample is rated by request, by its own physicians.
    pairs = list(product(raters, articles))
    plans: list[list[Mutation]] = []
    for c in range(CLIENTS):
        plan: list[Mutation] = []
        for step, (relevance, newsworthiness) in enumerate(SCORES):
            for rater, article in pairs[c::CLIENTS]:
                n = len(plan)
                plan.append(
                    Mutation(
                        "reviseRating" if step else "submitRating",
                        rater_tokens[rater],
                        {
                            "articleId": article,
                            "relevance": relevance,
                            "newsworthiness": newsworthiness,
                            "idempotencyKey": f"{run}-client{c}-{n}",
                        },
                    )
                )
                plan.append(
                    Mutation(
                        "postComment",
                        subscribers[c],
                        {
                            "articleId": article,
                            "body": f"Comment {n + 1} from client {c}",
                            "idempotencyKey": f"{run}-client{c}-{n + 1}",
                        },
                    )
                )
        plans.append(plan)
    return plans


async def read_log(engine: AsyncEngine) -> list[RecordedEvent]:
    return [event async for event in SQLEventStore(engine).iter_all()]


def by_key(log: list[RecordedEvent], run: str) -> dict[str, list[RecordedEvent]]:
    """This run's events, by idempotency key (the sample's own keys are left out)."""
    found: dict[str, list[RecordedEvent]] = {}
    for event in log:
        key = event.metadata.idempotency_key
        if key is not None and key.startswith(run):
            found.setdefault(key, []).append(event)
    return found


def assert_dense(log: list[RecordedEvent], head: int) -> None:
    positions = [event.position for event in log]
    assert positions == list(range(1, len(log) + 1)), "positions are not 1..N"
    assert head == len(log), f"the head is at {head}, the log has {len(log)} events"


async def stop(server: Server) -> int:
    server.process.send_signal(signal.SIGTERM)
    return await asyncio.to_thread(server.process.wait, STOP_TIMEOUT)


def run_verify(database: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CONSOLE_SCRIPT), "verify", "--database", database],
        capture_output=True,
        text=True,
        timeout=VERIFY_TIMEOUT,
        env=child_environment(),
        check=False,
    )


@pytest.mark.long(8)
async def test_acknowledged_mutations_survive_a_sigkill(
    servers: Servers, crash_engine: AsyncEngine, empty_database_url: str
) -> None:
    engine = crash_engine
    run = uuid.uuid4().hex[:8]
    first = servers.start("first")
    await asyncio.to_thread(wait_until_healthy, first)
    plans = await arrange(first.base_url, engine, run)
    planned = sum(len(plan) for plan in plans)

    # -- the load, and the kill in the middle of it ------------------------------------------
    load = Load()
    killer = asyncio.create_task(kill_when_enough(first, load))
    try:
        await asyncio.wait_for(
            asyncio.gather(*(drive(first.base_url, plan, load) for plan in plans)),
            LOAD_TIMEOUT,
        )
    finally:
        killed = killer.done()
        killer.cancel()  # a no-op once it is done
    assert not load.refused, "\n".join(load.refused)
    assert killed, "the clients finished before the kill"
    acknowledged_at_kill = killer.result()
    # The process that died is the server, and it died of the SIGKILL, not of anything else.
    exit_code = await asyncio.to_thread(first.process.wait, STOP_TIMEOUT)
    assert exit_code == -signal.SIGKILL, first.output()
    assert "Traceback" not in first.output(), first.output()
    # The kill was mid-load: enough had been acknowledged, clients were cut off mid-request,
    # and most of what was planned was never sent.
    assert acknowledged_at_kill >= KILL_AFTER
    assert load.unknown, "no client lost a request to the kill"
    assert len(load.acknowledged) + len(load.unknown) < planned

    # -- after a restart, every acknowledged mutation is there exactly once ------------------
    second = servers.start("second")
    health = await asyncio.to_thread(wait_until_healthy, second)
    store = SQLEventStore(engine)
    log = await read_log(engine)
    head = (await store.head()).position
    assert_dense(log, head)
    assert health["position"] == head
    found = by_key(log, run)
    for key, (mutation, answer) in load.acknowledged.items():
        events = found.get(key, [])
        assert len(events) == 1, f"acknowledged {mutation.field} {key}: {len(events)} events"
        assert events[0].position == answer.position, key
        assert events[0].type == MUTATIONS[mutation.field][2], key
    for mutation in load.unknown:
        assert len(found.get(mutation.key, [])) <= 1, f"unknown {mutation.key} appended twice"

    async with httpx.AsyncClient(base_url=second.base_url, timeout=REQUEST_TIMEOUT) as client:
        # Retrying acknowledged mutations (every fifth, and the last one before the kill):
        # the first answer again, and nothing appended.
        acknowledged = list(load.acknowledged.values())
        for mutation, answer in [*acknowledged[::5], acknowledged[-1]]:
            again = await send(client, mutation)
            assert again == Answer(answer.position, replayed=True), mutation.key
        assert (await store.head()).position == head
        assert len(await read_log(engine)) == len(log)

        # Retrying the unknown ones: success either way; a replay if the first attempt had
        # committed, else the one append it should have made.
        for mutation in load.unknown:
            before = found.get(mutation.key, [])
            again = await send(client, mutation)
            if before:
                assert again == Answer(before[0].position, replayed=True), mutation.key
            else:
                assert again.replayed is False, mutation.key

    retried_log = await read_log(engine)
    retried_head = (await store.head()).position
    assert_dense(retried_log, retried_head)
    appended = sum(1 for mutation in load.unknown if mutation.key not in found)
    assert retried_head == head + appended
    counts = Counter({key: len(events) for key, events in by_key(retried_log, run).items()})
    for key in [*load.acknowledged, *(mutation.key for mutation in load.unknown)]:
        assert counts[key] == 1, f"{key}: {counts[key]} events"
    assert max(counts.values()) == 1, counts.most_common(3)

    # -- a clean stop, then the chain and the views check out --------------------------------
    assert await stop(second) == 0, second.output()
    assert "Traceback" not in second.output(), second.output()
    verified = await asyncio.to_thread(run_verify, empty_database_url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"ok: {retried_head} events" in verified.stdout, verified.stdout
