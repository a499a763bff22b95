"""Who may do what: every mutation under every role, and tokens that do not authenticate."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from ledger.domain.commands import HideComment
from ledger.store.tables import api_tokens
from ledger.use_cases.tokens import issue_token, revoke_token
from tests.graph.conftest import Api
from tests.graph.helpers import (
    EDITOR,
    SAMPLE_ID,
    ask_nurses,
    assert_no_stack_trace,
    enrol,
    ledger_position,
    post_comment,
    rate,
)

ROLES = ("anonymous", "subscriber", "rater", "editor", "auditor")
RATED, UNRATED = "nurse-rated", "nurse-unrated"


@dataclass(frozen=True)
class World:
    """What every mutation needs to be able to succeed for the role allowed to make it."""

    visible_comment: str
    hidden_comment: str


@dataclass(frozen=True)
class Case:
    mutation: str
    input_type: str
    payload: str
    allowed: str
    rater_id: str = RATED

    def document(self) -> str:
        return (
            f"mutation($input: {self.input_type}!) {{ {self.mutation}(input: $input) {{"
            f" __typename ... on {self.payload} {{ position replayed }}"
            " ... on Error { code message } } }"
        )

    def input(self, world: World) -> dict[str, Any]:
        return INPUTS[self.mutation](world)


INPUTS: dict[str, Any] = {
    "registerArticle": lambda w: {
        "title": "A new trial",
        "journal": "J Trials",
        "studyType": "Randomized controlled trial",
        "abstract": "Something was tried.",
        "topics": ["Trials"],
    },
    "correctArticle": lambda w: {"articleId": SAMPLE_ID, "reason": "Typo.", "volume": "16"},
    "retractArticle": lambda w: {"articleId": SAMPLE_ID, "reason": "Fabricated data."},
    "registerDiscipline": lambda w: {"name": "Speech therapist"},
    "enrollRater": lambda w: {"discipline": "Nurse", "raterId": "nurse-new"},
    "submitRating": lambda w: {"articleId": SAMPLE_ID, "relevance": 5, "newsworthiness": 5},
    "reviseRating": lambda w: {"articleId": SAMPLE_ID, "relevance": 3, "newsworthiness": 2},
    "withdrawRating": lambda w: {"articleId": SAMPLE_ID},
    "postComment": lambda w: {"articleId": SAMPLE_ID, "body": "A question."},
    "hideComment": lambda w: {
        "articleId": SAMPLE_ID,
        "commentId": w.visible_comment,
        "reason": "Spam.",
    },
    "restoreComment": lambda w: {
        "articleId": SAMPLE_ID,
        "commentId": w.hidden_comment,
        "reason": "Not spam.",
    },
}

CASES = [
    Case("registerArticle", "RegisterArticleInput", "ArticlePayload", "editor"),
    Case("correctArticle", "CorrectArticleInput", "ArticlePayload", "editor"),
    Case("retractArticle", "RetractArticleInput", "ArticlePayload", "editor"),
    Case("registerDiscipline", "RegisterDisciplineInput", "DisciplinePayload", "editor"),
    Case("enrollRater", "EnrollRaterInput", "RaterPayload", "editor"),
    Case("submitRating", "SubmitRatingInput", "ArticlePayload", "rater", rater_id=UNRATED),
    Case("reviseRating", "ReviseRatingInput", "ArticlePayload", "rater"),
    Case("withdrawRating", "WithdrawRatingInput", "ArticlePayload", "rater"),
    Case("postComment", "PostCommentInput", "ArticlePayload", "subscriber"),
    Case("hideComment", "HideCommentInput", "ArticlePayload", "editor"),
    Case("restoreComment", "RestoreCommentInput", "ArticlePayload", "editor"),
]


async def arrange(api: Api) -> World:
    await enrol(api, RATED, "Nurse")
    await enrol(api, UNRATED, "Nurse")
    await ask_nurses(api)
    await rate(api, SAMPLE_ID, RATED, 5, 5, "Rated before.")
    visible = await post_comment(api, SAMPLE_ID, "subscriber-1", "Visible.")
    hidden = await post_comment(api, SAMPLE_ID, "subscriber-1", "Hidden.")
    await api.services.ledger.execute(HideComment(SAMPLE_ID, hidden, "Spam."), actor=EDITOR)
    return World(visible, hidden)


async def token_for(api: Api, role: str, rater_id: str) -> str | None:
    if role == "anonymous":
        return None
    return await api.token(role, rater_id if role == "rater" else None)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=[case.mutation for case in CASES])
async def test_each_mutation_is_open_only_to_its_role(api: Api, case: Case, role: str) -> None:
    world = await arrange(api)
    token = await token_for(api, role, case.rater_id)
    head = await ledger_position(api)

    data = await api.data(case.document(), {"input": case.input(world)}, token)

    result = data[case.mutation]
    if role == case.allowed:
        assert result["__typename"] == case.payload, result
        assert result["replayed"] is False
        assert result["position"] > head
        assert await ledger_position(api) == result["position"]
    else:
        assert result["__typename"] == "NotAllowed", result
        assert result["code"] == "NOT_ALLOWED"
        assert case.allowed in result["message"]
        assert await ledger_position(api) == head


async def test_a_refused_mutation_changes_no_article(api: Api) -> None:
    world = await arrange(api)
    page = "query($id: ID!) { article(id: $id) { version retracted citation { volume } } }"
    before = await api.data(page, {"id": SAMPLE_ID})
    subscriber = await api.token("subscriber")

    for case in CASES:
        if case.allowed != "subscriber":
            await api.data(case.document(), {"input": case.input(world)}, subscriber)

    assert await api.data(page, {"id": SAMPLE_ID}) == before


ME = "{ me { id role rater { id discipline { name } } } }"


async def test_a_valid_token_says_who_is_calling(api: Api) -> None:
    await enrol(api, RATED, "Nurse")

    anonymous = await api.data(ME)
    editor = await api.data(ME, token=await api.token("editor"))
    rater = await api.data(ME, token=await api.token("rater", RATED))

    assert anonymous == {"me": None}
    assert editor["me"]["role"] == "editor"
    assert editor["me"]["rater"] is None
    assert rater["me"] == {
        "id": RATED,
        "role": "rater",
        "rater": {"id": RATED, "discipline": {"name": "Nurse"}},
    }


async def test_a_rater_the_views_do_not_hold_is_told_their_role_without_a_discipline(
    api: Api,
) -> None:
    await enrol(api, RATED, "Nurse")
    issued = await issue_token(api.services.engine, "rater", rater_id=RATED)
    # A token whose rater the views do not hold: one enrolled on the primary that a replica
    # has not seen, or a token table kept while the views were rebuilt from another log.
    async with api.services.engine.begin() as conn:
        await conn.execute(
            update(api_tokens)
            .where(api_tokens.c.token_id == issued.principal.token_id)
            .values(principal_id="nurse-unknown", rater_id="nurse-unknown")
        )

    answer = await api.post(ME, token=issued.token)

    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "data": {"me": {"id": "nurse-unknown", "role": "rater", "rater": None}}
    }


def assert_unauthenticated(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert body["errors"][0]["message"]
    assert "data" not in body
    assert response.headers["www-authenticate"].lower().startswith("bearer")
    assert_no_stack_trace(response.text)


REGISTER_DISCIPLINE = """
mutation { registerDiscipline(input: {name: "Midwife"}) { __typename ... on Error { code } } }
"""


async def test_an_expired_token_is_refused_with_401(api: Api) -> None:
    engine = api.services.engine
    issued = await issue_token(engine, "editor", expires_at=datetime.now(UTC) + timedelta(hours=1))
    assert (await api.post(ME, token=issued.token)).status_code == 200
    async with engine.begin() as conn:
        await conn.execute(
            update(api_tokens)
            .where(api_tokens.c.token_id == issued.principal.token_id)
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    head = await ledger_position(api)

    assert_unauthenticated(await api.post(ME, token=issued.token))
    assert_unauthenticated(await api.post(REGISTER_DISCIPLINE, token=issued.token))
    assert await ledger_position(api) == head


async def test_a_token_expiring_in_a_moment_stops_working(api: Api) -> None:
    issued = await issue_token(
        api.services.engine, "editor", expires_at=datetime.now(UTC) + timedelta(seconds=1)
    )
    deadline = issued.expires_at
    assert deadline is not None

    await asyncio.sleep((deadline - datetime.now(UTC)).total_seconds() + 0.1)
    response = await api.post(ME, token=issued.token)

    assert_unauthenticated(response)


async def test_a_revoked_token_is_refused_with_401(api: Api) -> None:
    issued = await issue_token(api.services.engine, "editor")
    assert (await api.data(ME, token=issued.token))["me"]["role"] == "editor"
    assert issued.principal.token_id is not None
    await revoke_token(api.services.engine, issued.principal.token_id)
    head = await ledger_position(api)

    assert_unauthenticated(await api.post(ME, token=issued.token))
    assert_unauthenticated(await api.post(REGISTER_DISCIPLINE, token=issued.token))
    assert await ledger_position(api) == head


async def test_an_unknown_token_is_refused_with_401(api: Api) -> None:
    editor = await api.token("editor")
    forged = editor[:-4] + ("AAAA" if not editor.endswith("AAAA") else "BBBB")

    assert_unauthenticated(await api.post(ME, token=forged))
    assert_unauthenticated(await api.post(ME, token="el_000000000000_notasecret"))
    assert_unauthenticated(await api.post(ME, token="not-even-our-format"))


@pytest.mark.parametrize(
    "header",
    [
        "Basic x",
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer ",
        "Bearer    ",
        "Token el_abc_def",
        "",
    ],
)
async def test_a_malformed_authorization_header_is_refused_with_401(api: Api, header: str) -> None:
    response = await api.client.post(
        "/graphql", json={"query": ME}, headers={"authorization": header}
    )

    assert_unauthenticated(response)


async def test_a_role_given_as_a_header_grants_nothing(api: Api) -> None:
    head = await ledger_position(api)

    response = await api.client.post(
        "/graphql",
        json={"query": REGISTER_DISCIPLINE},
        headers={"x-role": "editor", "x-principal": "editor-1"},
    )

    assert response.json()["data"]["registerDiscipline"]["code"] == "NOT_ALLOWED"
    assert await ledger_position(api) == head
