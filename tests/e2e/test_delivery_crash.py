"""A SIGKILL of `evidence-ledger serve`, delivering in its background, while ratings make
alerts due and webhooks go out, on both backends: after a restart every due alert reaches
the receiver at least once, none is computed twice, and a receiver that drops repeated
delivery ids acts on each exactly once.

Only loopback addresses are used.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.delivery.outbox import delivery_id
from ledger.delivery.tables import deliveries
from ledger.projections.tables import live_views
from ledger.store.db import create_engine
from ledger.use_cases.tokens import issue_token
from tests.delivery.receivers import WebhookReceiver, webhook_receiver
from tests.e2e.test_crash import REQUEST_TIMEOUT, Mutation, Servers, registrations, send
from tests.e2e.test_serve import wait_until_healthy

ARTICLES = 8
RATERS = ("dc-rater-1", "dc-rater-2", "dc-rater-3")
SUBSCRIBERS = 4
KILL_AFTER = 14
DELIVERED_TIMEOUT = 90.0
SET_PROFILE = (
    "mutation($input: SetAlertProfileInput!) { setAlertProfile(input: $input) { __typename } }"
)


@pytest.fixture
async def watcher(empty_database_url: str) -> AsyncIterator[AsyncEngine]:
    """The test's own connection to the database the servers use."""
    engine = create_engine(empty_database_url)
    yield engine
    await engine.dispose()


async def arrange(base_url: str, engine: AsyncEngine, hook: str) -> list[Mutation]:
    """Articles, raters and subscribers whose profiles every article will meet; the ratings
    that will make the alerts due, as mutations with idempotency keys."""
    editor = (await issue_token(engine, "editor")).token
    articles = [f"dc-article-{n}" for n in range(ARTICLES)]
    setup = registrations(editor, articles, {r: "Physician" for r in RATERS}, keys="setup")
    profile = {
        "disciplines": ["Physician"],
        "relevanceCutoff": 1,
        "newsworthinessCutoff": 1,
        "delivery": "IMMEDIATE",
        "webhookUrl": hook,
    }
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
        for mutation in setup:
            await send(client, mutation)
        for _ in range(SUBSCRIBERS):
            token = (await issue_token(engine, "subscriber")).token
            answer = await client.post(
                "/graphql",
                json={"query": SET_PROFILE, "variables": {"input": profile}},
                headers={"authorization": f"Bearer {token}"},
            )
            assert answer.json()["data"]["setAlertProfile"]["__typename"] == "AlertProfilePayload"
    tokens = {r: (await issue_token(engine, "rater", rater_id=r)).token for r in RATERS}
    return [
        Mutation(
            "submitRating",
            tokens[rater],
            {
                "articleId": article,
                "relevance": 6,
                "newsworthiness": 5,
                "idempotencyKey": f"rate-{article}-{rater}",
            },
        )
        for rater in RATERS
        for article in articles
    ]


async def send_all(base_url: str, plan: list[Mutation], *, kill: int | None = None) -> None:
    """Send ``plan`` in order; with ``kill``, SIGKILL that process after ``KILL_AFTER``
    answers and stop (the rest is sent again after the restart, by key)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
        for n, mutation in enumerate(plan, 1):
            await send(client, mutation)
            if kill is not None and n == KILL_AFTER:
                os.kill(kill, signal.SIGKILL)
                return


async def due_alert_ids(engine: AsyncEngine) -> list[str]:
    due = live_views.due_alerts
    async with engine.connect() as conn:
        return list((await conn.execute(select(due.c.alert_id))).scalars())


async def wait_for(receiver: WebhookReceiver, expected: set[str]) -> None:
    deadline = time.monotonic() + DELIVERED_TIMEOUT
    while not expected <= receiver.accepted_once():
        if time.monotonic() > deadline:
            missing = len(expected - receiver.accepted_once())
            pytest.fail(f"{missing} of {len(expected)} deliveries never arrived")
        await asyncio.sleep(0.2)


async def wait_for_recorded(engine: AsyncEngine, expected: int) -> Counter[str]:
    """The outbox's states once ``expected`` deliveries are recorded as delivered (or at the
    deadline, for the caller's assertion to show what was recorded)."""
    deadline = time.monotonic() + DELIVERED_TIMEOUT
    while True:
        async with engine.connect() as conn:
            states = Counter((await conn.execute(select(deliveries.c.state))).scalars())
        if states["delivered"] >= expected or time.monotonic() > deadline:
            return states
        await asyncio.sleep(0.2)


async def test_a_killed_deliverer_loses_no_alert_and_a_receiver_dropping_repeats_sees_each_once(
    empty_database_url: str,
    tmp_path: Path,
    watcher: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Passes often, and a killed deliverer's claims back soon: the test waits seconds, not minutes.
    monkeypatch.setenv("EVIDENCE_LEDGER_DELIVERY_INTERVAL", "0.1")
    monkeypatch.setenv("EVIDENCE_LEDGER_DELIVERY_LEASE_SECONDS", "2")
    servers = Servers(empty_database_url, tmp_path)
    try:
        with webhook_receiver() as receiver:
            first = servers.start("first")
            wait_until_healthy(first)
            plan = await arrange(first.base_url, watcher, receiver.url)
            await send_all(first.base_url, plan, kill=first.process.pid)
            first.process.wait(timeout=30)
            assert first.process.returncode == -signal.SIGKILL

            second = servers.start("second")
            wait_until_healthy(second)
            await send_all(second.base_url, plan)
            alerts = await due_alert_ids(watcher)
            expected = {delivery_id("alert", a, "webhook") for a in alerts}
            await wait_for(receiver, expected)
            # The receiver can hold a webhook before its deliverer has recorded the answer:
            # the outbox is read while the server still runs, not after it is killed.
            states = await wait_for_recorded(watcher, len(expected))
    finally:
        servers.kill_all()

    # Every article met every profile once: one alert each, none computed twice.
    assert len(alerts) == len(set(alerts)) == ARTICLES * SUBSCRIBERS
    assert receiver.accepted_once() == expected
    assert len(receiver.requests) >= len(expected)
    assert states == Counter({"delivered": len(expected)})
