"""Subscriptions over a real WebSocket (uvicorn on loopback), on both backends: an article's
update after a rating, the log for auditors only, a subscriber's own alerts, and refusals."""

from __future__ import annotations

from typing import Any

import pytest
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport
from websockets.exceptions import InvalidStatus

from ledger.domain.commands import RetractArticle
from tests.graph.helpers import EDITOR, SAMPLE_ID, enrol, ledger_position, rate, register
from tests.graph.live.client import Closed, Served, bearer, live_client

ARTICLE_UPDATED = """
subscription($id: ID!) {
  articleUpdated(id: $id) {
    articleId version
    disciplineScores { discipline { name } ratingCount relevance }
    raterComments { discipline { name } body }
  }
}
"""
LEDGER_EVENTS = """
subscription($after: Int!) {
  ledgerEvents(after: $after) {
    __typename
    ... on LedgerEvent { position type streamId }
    ... on Error { code message }
  }
}
"""
ALERTS = """
subscription($after: Int) {
  alerts(after: $after) {
    __typename
    ... on Alert { id kind position article { articleId } }
    ... on Error { code }
  }
}
"""
SET_PROFILE = """
mutation($input: SetAlertProfileInput!) { setAlertProfile(input: $input) { __typename } }
"""


async def set_profile(live: Served, token: str, discipline: str) -> None:
    """A profile met by any rating of ``discipline``, followed live only."""
    profile = {
        "disciplines": [discipline],
        "relevanceCutoff": 1,
        "newsworthinessCutoff": 1,
        "delivery": "NONE",
    }
    answer = await live.api.http_data(SET_PROFILE, {"input": profile}, token)
    assert answer["setAlertProfile"]["__typename"] == "AlertProfilePayload", answer


def physicians(article: dict[str, Any]) -> dict[str, Any]:
    [score] = [s for s in article["disciplineScores"] if s["discipline"]["name"] == "Physician"]
    return score


async def test_an_article_update_arrives_after_a_rating(live: Served) -> None:
    transport = WebsocketsTransport(url=live.url, subprotocols=["graphql-transport-ws"])
    async with Client(transport=transport) as session:
        updates = session.subscribe(gql(ARTICLE_UPDATED), variable_values={"id": SAMPLE_ID})
        first = (await anext(updates))["articleUpdated"]
        await rate(live.api, SAMPLE_ID, "sample-physician-4", 6, 5, "Seen live.")
        after = (await anext(updates))["articleUpdated"]
        await updates.aclose()

    assert physicians(first)["ratingCount"] == 3
    assert physicians(after)["ratingCount"] == 4
    assert after["version"] == first["version"] + 1
    assert {"discipline": {"name": "Physician"}, "body": "Seen live."} in after["raterComments"]


async def test_an_article_update_is_only_for_that_article(live: Served) -> None:
    other = await register(live.api, "Another article", ["Falls"])
    async with live_client(live.url) as client:
        await client.subscribe("1", ARTICLE_UPDATED, {"id": SAMPLE_ID})
        await client.next("1")
        await register(live.api, "Yet another article", ["Falls"])
        await rate(live.api, other, "sample-physician-4", 6, 5)
        await rate(live.api, SAMPLE_ID, "sample-physician-4", 3, 2)
        update = (await client.next("1"))["articleUpdated"]

    # The first message after the start is the sample's own change, not the others'.
    assert physicians(update)["ratingCount"] == 4


@pytest.mark.parametrize("role", [None, "subscriber", "rater", "editor"])
async def test_only_auditors_may_follow_the_ledger(live: Served, role: str | None) -> None:
    token = None
    if role is not None:
        token = await live.api.token(role, "sample-physician-1" if role == "rater" else None)
    async with live_client(live.url, token) as client:
        await client.subscribe("1", LEDGER_EVENTS, {"after": 0})
        refused = (await client.next("1"))["ledgerEvents"]
        done = await client.receive()

    assert refused["__typename"] == "NotAllowed"
    assert refused["code"] == "NOT_ALLOWED"
    assert done == {"id": "1", "type": "complete"}


async def test_a_subscriber_is_sent_only_their_own_alerts(live: Served) -> None:
    mine, theirs = await live.api.token("subscriber"), await live.api.token("subscriber")
    for token, discipline in ((mine, "Physician"), (theirs, "Nurse")):
        await set_profile(live, token, discipline)
    for number in (1, 2, 3):
        await enrol(live.api, f"nurse-{number}", "Nurse")
    physician_article = await register(live.api, "For physicians", ["Falls"])
    nurse_article = await register(live.api, "For nurses", ["Falls"])
    # From the position before the ratings: the subscription may start after they commit.
    after = await ledger_position(live.api)
    async with live_client(live.url, theirs) as client:
        await client.subscribe("a", ALERTS, {"after": after})
        for number in (1, 2, 3):
            await rate(live.api, physician_article, f"sample-physician-{number}", 6, 6)
        for number in (1, 2, 3):
            await rate(live.api, nurse_article, f"nurse-{number}", 6, 6)
        alert = (await client.next("a"))["alerts"]

    assert alert["__typename"] == "Alert"
    assert alert["article"] == {"articleId": nurse_article}


async def test_a_retraction_notice_follows_the_alert(live: Served) -> None:
    token = await live.api.token("subscriber")
    await set_profile(live, token, "Physician")
    article_id = await register(live.api, "Soon retracted", ["Falls"])
    after = await ledger_position(live.api)
    async with live_client(live.url, token) as client:
        await client.subscribe("a", ALERTS, {"after": after})
        for number in (1, 2, 3):
            await rate(live.api, article_id, f"sample-physician-{number}", 6, 6)
        await live.api.services.ledger.execute(
            RetractArticle(article_id=article_id, reason="Data fabricated"), actor=EDITOR
        )
        kinds = [(await client.next("a"))["alerts"]["kind"] for _ in range(2)]

    assert kinds == ["ARTICLE", "RETRACTION"]


async def test_anyone_but_a_subscriber_is_refused_alerts(live: Served) -> None:
    async with live_client(live.url, await live.api.token("auditor")) as client:
        await client.subscribe("a", ALERTS)
        refused = (await client.next("a"))["alerts"]

    assert refused == {"__typename": "NotAllowed", "code": "NOT_ALLOWED"}


@pytest.mark.parametrize(
    "payload",
    [bearer("not-a-token"), {"Authorization": "Basic abc"}, {"Authorization": 42}],
)
async def test_a_bad_token_in_connection_init_closes_with_4403(
    live: Served, payload: dict[str, Any]
) -> None:
    async with live_client(live.url, init=False) as client:
        await client.send({"type": "connection_init", "payload": payload})
        with pytest.raises(Closed) as closed:
            await client.receive()

    assert closed.value.code == 4403


async def test_a_subscription_before_connection_init_closes_with_4401(live: Served) -> None:
    async with live_client(live.url, init=False) as client:
        await client.subscribe("1", LEDGER_EVENTS, {"after": 0})
        with pytest.raises(Closed) as closed:
            await client.receive()

    assert closed.value.code == 4401


async def test_queries_and_mutations_go_over_http_not_the_websocket(live: Served) -> None:
    async with live_client(live.url) as client:
        await client.subscribe("q", f'{{ article(id: "{SAMPLE_ID}") {{ articleId }} }}')
        refused = await client.receive()

    assert refused["type"] == "error"
    assert refused["payload"][0]["extensions"]["code"] == "OPERATION_NOT_SUPPORTED"


async def test_a_subscription_over_the_cost_limit_is_refused(live: Served) -> None:
    deep = "relatedArticles(first: 100) { " * 3 + "articleId" + " }" * 3
    async with live_client(live.url) as client:
        document = f'subscription {{ articleUpdated(id: "{SAMPLE_ID}") {{ {deep} }} }}'
        await client.subscribe("c", document)
        refused = await client.receive()

    assert refused["type"] in ("error", "next")
    errors = refused["payload"] if refused["type"] == "error" else refused["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "COST_LIMIT_EXCEEDED"


async def test_a_page_of_a_foreign_origin_cannot_open_a_websocket(live: Served) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with live_client(live.url, origin="https://elsewhere.example"):  # type: ignore[arg-type]
            pass

    assert refused.value.response.status_code == 403
