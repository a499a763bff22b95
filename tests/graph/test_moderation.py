"""Editors see hidden comments with why, by whom and when; nobody else ever does."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

import pytest

from ledger.domain.articles import stream_id
from ledger.domain.commands import EnrolRater, HideComment, RestoreComment
from ledger.store.records import Actor
from tests.graph.conftest import Api
from tests.graph.helpers import SAMPLE_ID, post_comment, register

NOT_EDITORS = ("anonymous", "subscriber", "rater", "auditor")
MODERATOR = Actor("editor-on-duty", "editor")

ON_THE_ARTICLE = """
query($id: ID!) {
  article(id: $id) {
    subscriberComments { id body }
    hiddenComments {
      __typename
      ... on HiddenComments {
        comments { id articleId author body postedAt hideReason hiddenBy hiddenAt }
      }
      ... on NotAllowed { code message }
    }
  }
}
"""
MODERATION_LIST = """
query($first: Int, $after: String) {
  hiddenComments(first: $first, after: $after) {
    __typename
    ... on HiddenCommentConnection {
      edges { cursor node { id articleId body hideReason hiddenBy } }
      pageInfo { hasNextPage endCursor }
    }
    ... on NotAllowed { code message }
  }
}
"""


async def hide(api: Api, article_id: str, comment_id: str, reason: str) -> None:
    await api.services.ledger.execute(HideComment(article_id, comment_id, reason), actor=MODERATOR)


async def token_of(api: Api, role: str) -> str | None:
    if role == "anonymous":
        return None
    if role == "rater":
        await api.services.ledger.execute(
            EnrolRater(discipline="Nurse", rater_id="nurse-looking"), actor=MODERATOR
        )
        return await api.token("rater", "nurse-looking")
    return await api.token(role)


async def test_an_editor_sees_an_articles_hidden_comments_with_why_who_and_when(
    api: Api,
) -> None:
    shown = await post_comment(api, SAMPLE_ID, "subscriber-1", "Helpful.")
    spam = await post_comment(api, SAMPLE_ID, "subscriber-2", "Buy now.")
    await hide(api, SAMPLE_ID, spam, "Advertising.")

    article = (await api.data(ON_THE_ARTICLE, {"id": SAMPLE_ID}, await api.token("editor")))[
        "article"
    ]

    assert article["subscriberComments"] == [{"id": shown, "body": "Helpful."}]
    [hidden] = article["hiddenComments"]["comments"]
    assert {k: hidden[k] for k in ("id", "articleId", "body", "hideReason", "hiddenBy")} == {
        "id": spam,
        "articleId": SAMPLE_ID,
        "body": "Buy now.",
        "hideReason": "Advertising.",
        "hiddenBy": MODERATOR.id,
    }
    assert hidden["author"] == "Subscriber"
    assert datetime.fromisoformat(hidden["hiddenAt"]) >= datetime.fromisoformat(hidden["postedAt"])


async def test_a_restored_comment_is_no_longer_hidden_and_a_rehidden_one_shows_its_last_reason(
    api: Api,
) -> None:
    restored = await post_comment(api, SAMPLE_ID, "subscriber-1", "Borderline.")
    rehidden = await post_comment(api, SAMPLE_ID, "subscriber-1", "Rude.")
    await hide(api, SAMPLE_ID, restored, "Looked off topic.")
    await api.services.ledger.execute(
        RestoreComment(SAMPLE_ID, restored, "On topic."), actor=MODERATOR
    )
    await hide(api, SAMPLE_ID, rehidden, "First.")
    await api.services.ledger.execute(
        RestoreComment(SAMPLE_ID, rehidden, "Appealed."), actor=MODERATOR
    )
    await hide(api, SAMPLE_ID, rehidden, "Rude after all.")

    article = (await api.data(ON_THE_ARTICLE, {"id": SAMPLE_ID}, await api.token("editor")))[
        "article"
    ]

    assert [(c["id"], c["hideReason"]) for c in article["hiddenComments"]["comments"]] == [
        (rehidden, "Rude after all.")
    ]


@pytest.mark.parametrize("role", NOT_EDITORS)
async def test_nobody_but_an_editor_sees_hidden_comments(api: Api, role: str) -> None:
    spam = await post_comment(api, SAMPLE_ID, "subscriber-2", "Buy now.")
    await hide(api, SAMPLE_ID, spam, "Advertising.")
    token = await token_of(api, role)

    article = (await api.data(ON_THE_ARTICLE, {"id": SAMPLE_ID}, token))["article"]
    listed = (await api.data(MODERATION_LIST, {}, token))["hiddenComments"]

    assert spam not in [c["id"] for c in article["subscriberComments"]]
    for refused in (article["hiddenComments"], listed):
        assert (refused["__typename"], refused["code"]) == ("NotAllowed", "NOT_ALLOWED")
        assert "Buy now." not in str(refused)


async def test_the_moderation_list_pages_through_every_hidden_comment_newest_first(
    api: Api,
) -> None:
    other = await register(api, "Another trial", ["Back Pain"])
    hidden: list[tuple[str, str]] = []
    for n in range(5):
        article_id = SAMPLE_ID if n % 2 else other
        comment_id = await post_comment(api, article_id, "subscriber-1", f"Comment {n}.")
        if n != 2:  # one stays visible and is never listed
            await hide(api, article_id, comment_id, f"Reason {n}.")
            hidden.append((comment_id, article_id))
    editor = await api.token("editor")

    seen: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        page = (await api.data(MODERATION_LIST, {"first": 3, "after": after}, editor))[
            "hiddenComments"
        ]
        seen += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert [(node["id"], node["articleId"]) for node in seen] == hidden[::-1]
    assert [node["hideReason"] for node in seen] == [
        "Reason 4.",
        "Reason 3.",
        "Reason 1.",
        "Reason 0.",
    ]
    assert {node["hiddenBy"] for node in seen} == {MODERATOR.id}


async def test_a_moderation_page_size_out_of_range_is_bad_user_input(api: Api) -> None:
    response = await api.post(MODERATION_LIST, {"first": -1}, await api.token("editor"))

    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "first"}


async def test_a_moderation_cursor_past_the_largest_position_is_bad_user_input(api: Api) -> None:
    crafted = base64.urlsafe_b64encode(b"articles:99999999999999999999").decode()

    response = await api.post(MODERATION_LIST, {"after": crafted}, await api.token("editor"))

    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "after"}


async def test_a_comment_hidden_since_is_left_out_of_the_articles_past_views(api: Api) -> None:
    shown = await post_comment(api, SAMPLE_ID, "subscriber-1", "Helpful.")
    spam = await post_comment(api, SAMPLE_ID, "subscriber-2", "Buy now.")
    before_hiding = len(await api.services.store.read_stream(stream_id(SAMPLE_ID)))
    await hide(api, SAMPLE_ID, spam, "Advertising.")

    past = await api.data(
        "query($id: ID!, $v: Int!) {article(id: $id, atVersion: $v) {subscriberComments {id}}}",
        {"id": SAMPLE_ID, "v": before_hiding},
    )

    assert past["article"]["subscriberComments"] == [{"id": shown}]
