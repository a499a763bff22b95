"""Alert email through a real SMTP server on loopback, on SQLite and PostgreSQL: an alert
and a digest arrive with a plain-text and an HTML part, the citation line, the scores and
the links; the unsubscribe link works over HTTP without logging in and changes the profile
through an event."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import pytest

from graph.settings import Settings
from ledger.delivery.periods import period_of
from ledger.delivery.running import deliverer_of
from ledger.delivery.settings import DeliverySettings, SmtpSettings
from tests.delivery.smtp import Inbox, smtp_server
from tests.graph.conftest import Api, running
from tests.graph.helpers import enrol, ledger_position, rate, register

PUBLIC = "https://ledger.example.org"
SET = """
mutation($input: SetAlertProfileInput!) {
  setAlertProfile(input: $input) { __typename }
}
"""
MINE = "{ me { alertProfile { delivery email webhookUrl relevanceCutoff } } }"


@pytest.fixture
async def inbox() -> AsyncIterator[Inbox]:
    with smtp_server() as server:
        yield server


@pytest.fixture
async def mail_api(database_url: str, inbox: Inbox) -> AsyncIterator[Api]:
    smtp = SmtpSettings(
        host="127.0.0.1", port=inbox.port, security="none", from_address="alerts@ledger.example.org"
    )
    delivery = DeliverySettings(public_url=PUBLIC, smtp=smtp, unsubscribe_secret="test-secret")
    async with running(Settings(database_url=database_url, delivery=delivery)) as started:
        yield started


async def subscribe(api: Api, email: str, delivery: str) -> str:
    token = await api.token("subscriber")
    profile = {
        "disciplines": ["Physician"],
        "relevanceCutoff": 5,
        "newsworthinessCutoff": 4,
        "delivery": delivery,
        "email": email,
    }
    assert (await api.data(SET, {"input": profile}, token))["setAlertProfile"] == {
        "__typename": "AlertProfilePayload"
    }
    return token


async def rated(api: Api, title: str, raters: list[str]) -> str:
    article_id = await register(api, title, ["Back Pain"])
    for rater_id in raters:
        await rate(api, article_id, rater_id, 6, 5)
    return article_id


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    return text.get_content(), html.get_content()


async def deliver(api: Api, at: datetime | None = None) -> None:
    settings = api.services.settings.delivery
    clock = (lambda: at) if at is not None else (lambda: datetime.now(UTC))
    async with deliverer_of(api.services.engine, settings, clock=clock) as deliverer:
        await deliverer.run_once()


async def test_an_alert_and_a_digest_arrive_by_email_with_both_parts_and_the_links(
    mail_api: Api, inbox: Inbox
) -> None:
    api = mail_api
    raters = ["e1", "e2", "e3"]
    for rater_id in raters:
        await enrol(api, rater_id, "Physician")
    await subscribe(api, "now@example.org", "IMMEDIATE")
    await subscribe(api, "daily@example.org", "DAILY")
    first = await rated(api, "Exercise for chronic low back pain", raters)
    second = await rated(api, "Yoga for chronic low back pain", raters)

    await deliver(api)
    immediate = sorted(inbox.messages, key=lambda m: m["Subject"])
    assert {m["To"] for m in immediate} == {"now@example.org"}
    await deliver(api, period_of("daily", datetime.now(UTC))[1] + timedelta(seconds=1))

    assert [m["Subject"] for m in immediate] == [
        "New evidence: Exercise for chronic low back pain",
        "New evidence: Yoga for chronic low back pain",
    ]
    text, html = parts(immediate[0])
    assert "Exercise for chronic low back pain" in text
    assert "Physician score: 6 out of 7 (relevance 6.0, newsworthiness 5.0, 3 ratings)" in text
    assert f"{PUBLIC}/articles/{first}" in text
    assert f'href="{PUBLIC}/articles/{first}"' in html
    assert "/unsubscribe?token=" in text
    assert "/unsubscribe?token=" in html
    assert immediate[0]["List-Unsubscribe"].startswith(f"<{PUBLIC}/unsubscribe?token=")
    [digest] = [m for m in inbox.messages if m["To"] == "daily@example.org"]
    assert digest["Subject"] == "Your daily evidence digest: 2 alerts"
    text, html = parts(digest)
    assert f"{PUBLIC}/articles/{first}" in text
    assert f"{PUBLIC}/articles/{second}" in text
    assert html.count("<li>") == 2


async def test_the_unsubscribe_link_works_without_logging_in_and_changes_the_profile(
    mail_api: Api, inbox: Inbox
) -> None:
    api = mail_api
    for rater_id in ("u1", "u2", "u3"):
        await enrol(api, rater_id, "Physician")
    token = await subscribe(api, "leaving@example.org", "IMMEDIATE")
    await rated(api, "Heat for acute low back pain", ["u1", "u2", "u3"])
    await deliver(api)
    [message] = inbox.messages
    text, _ = parts(message)
    link = re.search(r"https://\S+/unsubscribe\?token=\S+", text)
    assert link is not None
    address = urlsplit(link[0])
    path = f"{address.path}?{address.query}"

    page = await api.client.get(path)
    assert page.status_code == 200
    assert "leaving@example.org" in page.text
    assert "<form" in page.text
    before = await ledger_position(api)
    done = await api.client.post(path)
    forged = await api.client.post(path.replace("token=", "token=x"))

    assert done.status_code == 200
    assert "Unsubscribed" in done.text
    assert forged.status_code == 400
    assert await ledger_position(api) == before + 1
    [event] = await api.services.store.read_all(before, 1)
    assert event.type == "AlertProfileSet"
    profile: dict[str, Any] = (await api.data(MINE, token=token))["me"]["alertProfile"]
    assert profile == {"delivery": "NONE", "email": None, "webhookUrl": None, "relevanceCutoff": 5}
    again = await api.client.get(path)
    assert "Already unsubscribed" in again.text
