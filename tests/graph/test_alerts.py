"""Alert profiles through GraphQL: a subscriber sets and clears theirs, every refusal is
typed and changes nothing, a retry gets the first answer, and each subscriber sees only
their own alerts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from ledger.domain.commands import RetractArticle
from ledger.store.tables import alert_contacts
from tests.graph.conftest import Api
from tests.graph.helpers import (
    EDITOR,
    SAMPLE_ID,
    ask_nurses,
    counting_statements,
    enrol,
    ledger_position,
    post_comment,
    rate,
    register,
)
from tests.graph.test_readme import readme_blocks

SET = """
mutation($input: SetAlertProfileInput!) {
  setAlertProfile(input: $input) {
    __typename
    ... on AlertProfilePayload {
      position replayed
      alertProfile {
        disciplines { name } relevanceCutoff newsworthinessCutoff topics studyTypes
        delivery email webhookUrl
      }
    }
    ... on ValidationError { code field message }
    ... on NotFound { code kind identifier }
    ... on NotAllowed { code message }
  }
}
"""
CLEAR = """
mutation($key: String) {
  clearAlertProfile(input: {idempotencyKey: $key}) {
    __typename
    ... on AlertProfilePayload { position replayed alertProfile { delivery } }
    ... on NotFound { code kind }
    ... on NotAllowed { code }
  }
}
"""
MINE = """
query($first: Int, $after: String) {
  me {
    id
    alertProfile { disciplines { name } relevanceCutoff email }
    alerts(first: $first, after: $after) {
      edges { cursor node { id kind discipline { name } position article { articleId } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

PROFILE: dict[str, Any] = {
    "disciplines": ["physician"],
    "relevanceCutoff": 6,
    "newsworthinessCutoff": 5,
    "topics": ["back pain"],
    "delivery": "DAILY",
    "email": "reader@example.org",
    "webhookUrl": "https://hooks.example.org/alerts",
}


async def set_profile(api: Api, token: str, **changes: Any) -> dict[str, Any]:
    data = await api.data(SET, {"input": PROFILE | changes}, token)
    result: dict[str, Any] = data["setAlertProfile"]
    return result


async def contact_rows(api: Api) -> int:
    async with api.services.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(alert_contacts)) or 0)


async def test_a_subscriber_sets_and_clears_their_profile_with_contacts_kept_off_the_chain(
    api: Api,
) -> None:
    token = await api.token("subscriber")
    answer = await set_profile(api, token)

    assert answer["__typename"] == "AlertProfilePayload"
    assert answer["alertProfile"] == {
        "disciplines": [{"name": "Physician"}],  # as registered
        "relevanceCutoff": 6,
        "newsworthinessCutoff": 5,
        "topics": ["back pain"],
        "studyTypes": [],
        "delivery": "DAILY",
        "email": "reader@example.org",
        "webhookUrl": "https://hooks.example.org/alerts",
    }
    me = (await api.data(MINE, token=token))["me"]
    assert me["alertProfile"]["email"] == "reader@example.org"
    [stored] = await api.services.store.read_all(answer["position"] - 1, 1)
    assert stored.type == "AlertProfileSet"
    hashed = json.dumps(stored.payload)
    assert "reader@example.org" not in hashed
    assert "hooks.example.org" not in hashed

    cleared = (await api.data(CLEAR, token=token))["clearAlertProfile"]
    assert cleared["__typename"] == "AlertProfilePayload"
    assert cleared["alertProfile"] is None
    assert (await api.data(MINE, token=token))["me"]["alertProfile"] is None
    again = (await api.data(CLEAR, token=token))["clearAlertProfile"]
    assert again == {"__typename": "NotFound", "code": "NOT_FOUND", "kind": "alert profile"}


def invalid(field: str) -> dict[str, str]:
    return {"__typename": "ValidationError", "field": field}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"disciplines": ["Astrologer"]}, {"__typename": "NotFound", "kind": "discipline"}),
        ({"disciplines": []}, invalid("disciplines")),
        ({"relevanceCutoff": 0}, invalid("relevanceCutoff")),
        ({"newsworthinessCutoff": 8}, invalid("newsworthinessCutoff")),
        ({"studyTypes": ["Horoscope"]}, invalid("studyTypes")),
        ({"email": None, "webhookUrl": None}, invalid("delivery")),
        ({"email": "not an address"}, invalid("email")),
        ({"webhookUrl": "ftp://x.org/"}, invalid("webhookUrl")),
    ],
)
async def test_a_profile_refused_is_typed_and_changes_nothing(
    shared_api: Api, changes: dict[str, Any], expected: dict[str, str]
) -> None:
    token = await shared_api.token("subscriber")
    before, contacts = await ledger_position(shared_api), await contact_rows(shared_api)

    answer = await set_profile(shared_api, token, **changes)

    assert {key: answer.get(key) for key in expected} == expected
    assert await ledger_position(shared_api) == before
    assert await contact_rows(shared_api) == contacts
    assert (await shared_api.data(MINE, token=token))["me"]["alertProfile"] is None


@pytest.mark.parametrize("role", ["anonymous", "rater", "editor", "auditor"])
async def test_only_a_subscriber_has_an_alert_profile(shared_api: Api, role: str) -> None:
    token = None
    if role == "rater":
        token = await shared_api.token("rater", "sample-physician-1")
    elif role != "anonymous":
        token = await shared_api.token(role)
    before = await ledger_position(shared_api)

    answer = (await shared_api.data(SET, {"input": PROFILE}, token))["setAlertProfile"]
    cleared = (await shared_api.data(CLEAR, token=token))["clearAlertProfile"]

    assert answer["__typename"] == cleared["__typename"] == "NotAllowed"
    assert await ledger_position(shared_api) == before


async def test_a_retry_with_the_same_key_gets_the_first_answer(api: Api) -> None:
    token = await api.token("subscriber")
    first = await set_profile(api, token, idempotencyKey="profile-1")
    head = await ledger_position(api)

    again = await set_profile(api, token, idempotencyKey="profile-1")
    cleared = (await api.data(CLEAR, {"key": "clear-1"}, token))["clearAlertProfile"]
    cleared_again = (await api.data(CLEAR, {"key": "clear-1"}, token))["clearAlertProfile"]

    assert first["replayed"] is False
    assert again["replayed"] is True
    assert again["position"] == first["position"] == head
    assert cleared_again["replayed"] is True
    assert cleared_again["position"] == cleared["position"] == head + 1
    assert await ledger_position(api) == head + 1
    assert await contact_rows(api) == 1  # the retry recorded no second contact


async def test_a_subscriber_sees_only_their_own_alerts_newest_first(api: Api) -> None:
    physicians, nurses = await api.token("subscriber"), await api.token("subscriber")
    await set_profile(api, physicians, topics=[], relevanceCutoff=5)
    await set_profile(api, nurses, disciplines=["Nurse"], topics=[], relevanceCutoff=1)
    article_id = await register(api, "Exercise for chronic low back pain", ["Back Pain"])
    for number in (1, 2, 3):
        await rate(api, article_id, f"sample-physician-{number}", 6, 6)
    await api.services.ledger.execute(
        RetractArticle(article_id=article_id, reason="Data fabricated"), actor=EDITOR
    )

    mine = (await api.data(MINE, token=physicians))["me"]["alerts"]
    theirs = (await api.data(MINE, token=nurses))["me"]["alerts"]

    kinds = [(e["node"]["kind"], e["node"]["article"]["articleId"]) for e in mine["edges"]]
    assert kinds == [("RETRACTION", article_id), ("ARTICLE", article_id)]
    assert mine["edges"][1]["node"]["discipline"] == {"name": "Physician"}
    assert theirs["edges"] == []
    page = (await api.data(MINE, {"first": 1}, physicians))["me"]["alerts"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await api.data(MINE, {"first": 1, "after": page["pageInfo"]["endCursor"]}, physicians)
    assert [e["node"]["kind"] for e in rest["me"]["alerts"]["edges"]] == ["ARTICLE"]


async def test_a_rater_has_no_alerts_and_a_forged_cursor_is_refused(api: Api) -> None:
    await enrol(api, "alert-nurse", "Nurse")
    await ask_nurses(api)
    await rate(api, "e7d05feceeac5a68", "alert-nurse", 7, 7)
    token = await api.token("rater", "alert-nurse")
    me = (await api.data(MINE, token=token))["me"]
    assert me["alertProfile"] is None
    assert me["alerts"]["edges"] == []

    body = await api.result(MINE, {"after": "bm90IGEgY3Vyc29y"}, token)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_the_readmes_alert_profile_example_works_as_written(api: Api) -> None:
    [block] = [b for b in readme_blocks("graphql") if "setAlertProfile" in b]
    token = await api.token("subscriber")

    answer = (await api.data(block, token=token))["setAlertProfile"]

    assert answer["__typename"] == "AlertProfilePayload"
    assert answer["alertProfile"]["disciplines"] == [{"name": "Physician"}]


async def test_changes_the_alert_rule_does_not_read_touch_no_alert_table(api: Api) -> None:
    """A comment (or a request) is nothing the rule reads: its append neither loads nor
    rewrites the alerts' article facts, while a rating does."""
    with counting_statements(api) as statements:
        await post_comment(api, SAMPLE_ID, "subscriber-1", "Useful.")
    assert not [s for s in statements if "alert_articles" in s]
    await enrol(api, "facts-physician", "Physician")
    article = await register(api, "Facts", ["Back Pain"])
    with counting_statements(api) as statements:
        await rate(api, article, "facts-physician", 5, 5)
    assert [s for s in statements if "alert_articles" in s]
