"""The audit trail over HTTP: histories, the log, verification and a rater's own ratings."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.domain.commands import (
    EnrolRater,
    HideComment,
    PostComment,
    RestoreComment,
    ReviseRating,
    SubmitRating,
    WithdrawRating,
)
from ledger.store.records import Actor
from ledger.use_cases.sample import SAMPLE_ARTICLE_ID
from tests.graph.conftest import Api
from tests.graph.helpers import ask_nurses

EDITOR = Actor("editor-1", "editor")

HISTORY = """
query History($id: ID!, $after: String, $types: [String!], $actor: String) {
  articleHistory(id: $id, first: 3, after: $after, types: $types, actor: $actor) {
    __typename
    ... on NotAllowed { code message }
    ... on LedgerEventConnection {
      pageInfo { hasNextPage endCursor }
      edges { node {
        position streamVersion type recordedAt idempotencyKey hash previousHash payload
        actor { id role name discipline }
        data { __typename ... on RatingRevisedData { relevance newsworthiness comment } }
      } }
    }
  }
}"""

LOG = """
query Log($after: Int!) {
  ledgerEvents(after: $after, first: 7) {
    __typename
    ... on NotAllowed { code }
    ... on LedgerEventsPage { lastPosition hasMore events { position hash previousHash type } }
  }
}"""


async def _a_moderated_history(api: Api) -> dict[str, str]:
    """Sample article + a nurse who submits, revises and withdraws; a comment hidden, restored."""
    ledger = api.services.ledger
    await ledger.execute(
        EnrolRater(rater_id="nurse-1", discipline="Nurse", display_name="Nia Nurse"), actor=EDITOR
    )
    await ask_nurses(api)
    nurse = Actor("nurse-1", "rater")
    await ledger.execute(
        SubmitRating(SAMPLE_ARTICLE_ID, "nurse-1", 4, 3, "First look."), actor=nurse
    )
    await ledger.execute(
        ReviseRating(SAMPLE_ARTICLE_ID, "nurse-1", 5, 4, "Second look."),
        actor=nurse,
        idempotency_key="rev-1",
    )
    await ledger.execute(WithdrawRating(SAMPLE_ARTICLE_ID, "nurse-1"), actor=nurse)
    reader = Actor("subscriber-9", "subscriber")
    posted = await ledger.execute(PostComment(SAMPLE_ARTICLE_ID, reader.id, "Nice."), actor=reader)
    comment_id = posted.events[0].payload["comment_id"]
    await ledger.execute(HideComment(SAMPLE_ARTICLE_ID, comment_id, "off topic"), actor=EDITOR)
    await ledger.execute(
        RestoreComment(SAMPLE_ARTICLE_ID, comment_id, "on reflection"), actor=EDITOR
    )
    return {
        "auditor": await api.token("auditor"),
        "editor": await api.token("editor"),
        "rater": await api.token("rater", "nurse-1"),
        "subscriber": await api.token("subscriber"),
    }


async def _whole_history(api: Api, token: str, **variables: Any) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        data = await api.data(
            HISTORY, {"id": SAMPLE_ARTICLE_ID, "after": after, **variables}, token
        )
        page = data["articleHistory"]
        nodes += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


async def test_an_auditor_reads_the_whole_history_in_order_with_actors_and_hashes(
    api: Api,
) -> None:
    tokens = await _a_moderated_history(api)
    nodes = await _whole_history(api, tokens["auditor"])

    assert [n["type"] for n in nodes] == [
        "ArticleRegistered",
        "ArticleDisciplinesAssigned",  # the sample is rated by request, in Physician
        *["RatingRequested"] * 4,  # the sample's four physicians
        *["RatingSubmitted"] * 3,  # three of them rate it
        "ArticleDisciplinesAssigned",  # rated in Nurse as well: the nurse is asked
        "RatingRequested",
        "RatingSubmitted",
        "RatingRevised",
        "RatingWithdrawn",
        "CommentPosted",
        "CommentHidden",
        "CommentRestored",
    ]
    assert [n["streamVersion"] for n in nodes] == list(range(1, 18))
    revised = nodes[12]
    assert revised["actor"] == {
        "id": "nurse-1",
        "role": "rater",
        "name": "Nia Nurse",
        "discipline": "Nurse",
    }
    assert revised["idempotencyKey"] == "rev-1"
    assert revised["data"] == {
        "__typename": "RatingRevisedData",
        "relevance": 5,
        "newsworthiness": 4,
        "comment": "Second look.",
    }
    assert revised["payload"]["comment"] == "Second look."
    assert nodes[15]["actor"] == {
        "id": "editor-1",
        "role": "editor",
        "name": None,
        "discipline": None,
    }

    # Every previous hash is the hash of the position before, as the global log shows it.
    log = await api.data(
        "{ ledgerEvents(first: 500) { ... on LedgerEventsPage { events { position hash } } } }",
        token=tokens["auditor"],
    )
    hash_at = {e["position"]: e["hash"] for e in log["ledgerEvents"]["events"]}
    for node in nodes:
        assert node["hash"] == hash_at[node["position"]]
        assert node["previousHash"] == hash_at.get(node["position"] - 1, "0" * 64)


async def test_history_filters_by_type_and_actor(api: Api) -> None:
    tokens = await _a_moderated_history(api)
    ratings = await _whole_history(
        api, tokens["auditor"], types=["RatingRevised", "RatingWithdrawn"]
    )
    assert [n["type"] for n in ratings] == ["RatingRevised", "RatingWithdrawn"]
    by_editor = await _whole_history(api, tokens["auditor"], actor="editor-1")
    assert [n["type"] for n in by_editor] == ["CommentHidden", "CommentRestored"]


@pytest.mark.parametrize("role", ["anonymous", "subscriber", "rater", "editor"])
async def test_only_auditors_see_history_and_others_learn_nothing(api: Api, role: str) -> None:
    tokens = await _a_moderated_history(api)
    token = None if role == "anonymous" else tokens[role]

    known = await api.result(HISTORY, {"id": SAMPLE_ARTICLE_ID}, token)
    unknown = await api.result(HISTORY, {"id": "no-such-article"}, token)
    log = await api.result(LOG, {"after": 0}, token)
    verification = await api.result("{ verifyLedger { __typename } }", None, token)

    assert known == unknown  # not even whether the article has a history
    assert known["data"]["articleHistory"]["__typename"] == "NotAllowed"
    assert log["data"]["ledgerEvents"] == {"__typename": "NotAllowed", "code": "NOT_ALLOWED"}
    assert verification["data"]["verifyLedger"]["__typename"] == "NotAllowed"


async def test_an_event_is_not_a_node_to_anyone_but_an_auditor(api: Api) -> None:
    tokens = await _a_moderated_history(api)
    query = '{ node(id: "TGVkZ2VyRXZlbnQ6MQ==") { __typename ... on LedgerEvent { position } } }'
    assert (await api.data(query, token=tokens["editor"]))["node"] is None
    assert (await api.data(query, token=tokens["auditor"]))["node"] == {
        "__typename": "LedgerEvent",
        "position": 1,
    }


async def test_a_consumer_of_the_log_sees_every_position_once(api: Api) -> None:
    tokens = await _a_moderated_history(api)
    seen: list[int] = []
    after = 0
    while True:
        page = (await api.data(LOG, {"after": after}, tokens["auditor"]))["ledgerEvents"]
        seen += [e["position"] for e in page["events"]]
        after = page["lastPosition"]
        if not page["hasMore"]:
            break
    head = await api.services.store.head()
    assert seen == list(range(1, head.position + 1))


async def test_verify_ledger_reports_the_chain_and_the_views(api: Api) -> None:
    tokens = await _a_moderated_history(api)
    result = await api.data(
        "{ verifyLedger { ... on LedgerVerification { ok checkedEvents headPosition headHash "
        "firstBrokenPosition projectionsMatch mismatches { table } } } }",
        token=tokens["auditor"],
    )
    head = await api.services.store.head()
    assert result["verifyLedger"] == {
        "ok": True,
        "checkedEvents": head.position,
        "headPosition": head.position,
        "headHash": head.hash,
        "firstBrokenPosition": None,
        "projectionsMatch": True,
        "mismatches": [],
    }


async def test_a_rater_sees_their_own_ratings_with_every_version(api: Api) -> None:
    tokens = await _a_moderated_history(api)
    data = await api.data(
        "{ me { ratings { withdrawn relevance article { citation { title } } "
        "history { kind relevance newsworthiness comment } } } }",
        token=tokens["rater"],
    )
    [rating] = data["me"]["ratings"]
    assert rating["withdrawn"] is True
    assert rating["relevance"] is None
    assert rating["article"]["citation"]["title"].startswith("The Analgesic Efficacy")
    assert rating["history"] == [
        {"kind": "submitted", "relevance": 4, "newsworthiness": 3, "comment": "First look."},
        {"kind": "revised", "relevance": 5, "newsworthiness": 4, "comment": "Second look."},
        {"kind": "withdrawn", "relevance": None, "newsworthiness": None, "comment": None},
    ]
