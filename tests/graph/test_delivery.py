"""Delivery through GraphQL: a subscriber is shown their webhook secret once, an editor
lists the dead deliveries and retries one (typed refusals otherwise), and the retried
delivery reaches a receiver that now answers."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from graph.settings import Settings
from ledger.delivery import verify_signature
from ledger.delivery.backoff import Backoff
from ledger.delivery.deliverer import Deliverer
from ledger.delivery.settings import DeliverySettings
from ledger.delivery.webhooks import WebhookSender
from tests.delivery.receivers import webhook_receiver
from tests.graph.conftest import Api, running
from tests.graph.helpers import enrol, rate, register

SET = """
mutation($input: SetAlertProfileInput!) {
  setAlertProfile(input: $input) { ... on AlertProfilePayload { webhookSecret replayed } }
}
"""
DEAD = """
query($first: Int, $after: String) {
  deadDeliveries(first: $first, after: $after) {
    __typename
    ... on DeadDeliveryConnection {
      edges { cursor node { id subscriberId channel cadence state attempts lastError articleIds } }
      pageInfo { hasNextPage endCursor }
    }
    ... on NotAllowed { code }
  }
}
"""
RETRY = """
mutation($id: ID!, $key: String) {
  retryDelivery(input: {deliveryId: $id, idempotencyKey: $key}) {
    __typename
    ... on RetryDeliveryPayload { replayed delivery { id state attempts } }
    ... on NotFound { code kind identifier }
    ... on NotAllowed { code }
    ... on Conflict { code }
  }
}
"""
ROTATE = """
mutation($key: String) {
  rotateWebhookSecret(input: {idempotencyKey: $key}) {
    __typename
    ... on WebhookSecretPayload { secret replayed }
    ... on NotAllowed { code }
  }
}
"""


def deliverer(api: Api, client: httpx.AsyncClient) -> Deliverer:
    settings = DeliverySettings(backoff=Backoff(max_attempts=1))
    sender = WebhookSender(client, settings.public_url)
    return Deliverer(api.services.engine, settings, {"webhook": sender.send})


async def alerted(api: Api, webhook_url: str) -> tuple[str, str]:
    """A subscriber whose profile an article then meets; their token and the secret shown."""
    token = await api.token("subscriber")
    profile = {
        "disciplines": ["Physician"],
        "relevanceCutoff": 5,
        "newsworthinessCutoff": 4,
        "webhookUrl": webhook_url,
    }
    answer = (await api.data(SET, {"input": profile}, token))["setAlertProfile"]
    article_id = await register(api, "Exercise for chronic low back pain", ["Back Pain"])
    for rater_id in ("r1", "r2", "r3"):
        await enrol(api, rater_id, "Physician")
        await rate(api, article_id, rater_id, 6, 5)
    return token, answer["webhookSecret"]


async def test_an_editor_retries_a_dead_delivery_and_it_arrives_signed(api: Api) -> None:
    editor = await api.token("editor")
    with webhook_receiver(failures=1) as receiver:
        _subscriber, secret = await alerted(api, receiver.url)
        async with httpx.AsyncClient() as client:
            assert (await deliverer(api, client).run_once()).dead == 1
            page = (await api.data(DEAD, {"first": 10}, editor))["deadDeliveries"]
            [edge] = page["edges"]
            dead = edge["node"]
            retried = await api.data(RETRY, {"id": dead["id"], "key": "k1"}, editor)
            repeated = await api.data(RETRY, {"id": dead["id"], "key": "k1"}, editor)
            assert (await deliverer(api, client).run_once()).delivered == 1

    assert secret.startswith("whsec_")
    assert dead["state"] == "DEAD"
    assert (dead["channel"], dead["cadence"], dead["attempts"]) == ("WEBHOOK", "immediate", 1)
    assert dead["lastError"] == "HTTP 500"
    assert len(dead["articleIds"]) == 1
    assert page["pageInfo"]["hasNextPage"] is False
    assert retried["retryDelivery"] == {
        "__typename": "RetryDeliveryPayload",
        "replayed": False,
        "delivery": {"id": dead["id"], "state": "PENDING", "attempts": 0},
    }
    assert repeated["retryDelivery"]["replayed"] is True
    assert (await api.data(DEAD, {"first": 10}, editor))["deadDeliveries"]["edges"] == []
    last = receiver.requests[-1]
    header = last.headers["Evidence-Ledger-Signature"]
    verify_signature(secret, last.body, header, now=time.time())
    assert receiver.accepted_once() == {dead["id"]}


async def test_a_retry_refused_is_typed(api: Api) -> None:
    editor, subscriber = await api.token("editor"), await api.token("subscriber")
    with webhook_receiver() as receiver:
        await alerted(api, receiver.url)
        async with httpx.AsyncClient() as client:
            await deliverer(api, client).run_once()
    [delivered] = receiver.requests

    def retry(delivery_id: str, key: str | None = None) -> dict[str, Any]:
        return {"id": delivery_id, "key": key}

    unknown = (await api.data(RETRY, retry("0" * 32), editor))["retryDelivery"]
    not_dead = await api.data(RETRY, retry(delivered.json["deliveryId"]), editor)
    refused = await api.data(RETRY, retry(delivered.json["deliveryId"]), subscriber)

    assert unknown == {
        "__typename": "NotFound",
        "code": "NOT_FOUND",
        "kind": "delivery",
        "identifier": "0" * 32,
    }
    assert not_dead["retryDelivery"] == {"__typename": "Conflict", "code": "DELIVERY_NOT_DEAD"}
    assert refused["retryDelivery"] == {"__typename": "NotAllowed", "code": "NOT_ALLOWED"}
    shown = (await api.data(DEAD, {"first": 1}, subscriber))["deadDeliveries"]
    assert shown == {"__typename": "NotAllowed", "code": "NOT_ALLOWED"}


async def test_a_subscriber_is_shown_a_new_secret_once_and_the_same_key_shows_it_again(
    api: Api,
) -> None:
    token, first = await alerted(api, "http://127.0.0.1:9/hook")
    rotated = (await api.data(ROTATE, {"key": "r1"}, token))["rotateWebhookSecret"]
    repeated = (await api.data(ROTATE, {"key": "r1"}, token))["rotateWebhookSecret"]
    again = (
        await api.data(
            SET,
            {
                "input": {
                    "disciplines": ["Physician"],
                    "relevanceCutoff": 5,
                    "newsworthinessCutoff": 4,
                    "webhookUrl": "http://127.0.0.1:9/other",
                }
            },
            token,
        )
    )["setAlertProfile"]
    editor = (await api.data(ROTATE, {}, await api.token("editor")))["rotateWebhookSecret"]

    assert rotated["secret"] != first
    assert repeated == {
        "__typename": "WebhookSecretPayload",
        "secret": rotated["secret"],
        "replayed": True,
    }
    assert again["webhookSecret"] is None  # shown once: not again on a later change
    assert editor == {"__typename": "NotAllowed", "code": "NOT_ALLOWED"}


async def test_the_services_deliverer_sends_an_alert_as_its_rating_commits(
    database_url: str,
) -> None:
    """`serve`'s background deliverer passes at every append it learns of, not only every
    interval: with an interval of an hour, the webhook still arrives."""
    hourly = DeliverySettings(interval_seconds=3600.0)
    settings = Settings(database_url=database_url, deliver_in_background=True, delivery=hourly)
    with webhook_receiver() as receiver:
        async with running(settings) as api:
            await asyncio.sleep(0.2)  # the first pass, at start, finds nothing due
            assert receiver.requests == []
            await alerted(api, receiver.url)
            deadline = time.monotonic() + 60
            while not receiver.requests:
                if time.monotonic() > deadline:
                    pytest.fail("the alert was not delivered until the next hourly pass")
                await asyncio.sleep(0.05)
    [webhook] = receiver.requests
    assert (webhook.json["type"], webhook.json["alert"]["title"]) == (
        "alert",
        "Exercise for chronic low back pain",
    )
