"""Bad input gets a clear 4xx or a typed error, changes nothing, and never shows a stack trace."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from ledger.domain.ratings import MAX_RATER_COMMENT
from tests.graph.conftest import Api
from tests.graph.helpers import (
    SAMPLE_ID,
    ask_nurses,
    assert_no_stack_trace,
    enrol,
    ledger_position,
    rate,
)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.fixture
async def raw(shared_api: Api) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sees a crash as the 500 a real server would send, not as an exception.
    Its requests are refused or only read, so one service serves the whole module."""
    transport = httpx.ASGITransport(app=shared_api.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def assert_clear_client_error(response: httpx.Response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert response.text.strip(), "a 4xx must say what was wrong"
    assert_no_stack_trace(response.text)


def bad_user_input(payload: dict[str, Any], argument: str | None = None) -> dict[str, Any]:
    """The answer carries a GraphQL error coded BAD_USER_INPUT (naming ``argument``)."""
    assert_no_stack_trace(json.dumps(payload))
    assert payload.get("errors"), payload
    [error] = payload["errors"]
    assert error.get("extensions", {}).get("code") == "BAD_USER_INPUT", error
    if argument is not None:
        assert error["extensions"]["argument"] == argument, error
    assert error["message"] != "Unexpected error."
    return dict(error)


# -- the HTTP request itself ----------------------------------------------------------------

GRAPHQL_RESPONSE = "application/graphql-response+json"


def refused_request(response: httpx.Response, accept: str, code: str) -> None:
    """A request that is not a well-formed GraphQL-over-HTTP request: a 400 in the media type
    asked for, a coded error, no ``data``, no trace."""
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(accept)
    assert_no_stack_trace(response.text)
    payload = response.json()
    assert "data" not in payload, payload
    [error] = payload["errors"]
    assert error["extensions"]["code"] == code, error
    assert error["message"].strip()


ACCEPTS = [GRAPHQL_RESPONSE, "application/json"]


@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        '{"query": "{ topics { name } }"',
        "\xff\xfe",
        "{'query': '{ me { id } }'}",
        '{"query": "{ topics { name } }", "variables": {"x": ' + "[" * 20000 + "]" * 20000 + "}}",
    ],
    ids=["broken", "unterminated", "not-utf8", "single-quotes", "nested-too-deep"],
)
async def test_a_malformed_json_body_is_refused(
    raw: httpx.AsyncClient, body: str, accept: str
) -> None:
    response = await raw.post(
        "/graphql",
        content=body.encode("latin-1"),
        headers={"content-type": "application/json", "accept": accept},
    )

    refused_request(response, accept, "INVALID_JSON")


@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("", "BAD_REQUEST"),
        ('"{ topics { name } }"', "BAD_REQUEST"),
        ("5", "BAD_REQUEST"),
        ("null", "BAD_REQUEST"),
        ("true", "BAD_REQUEST"),
        ('[{"query": "{ topics { name } }"}]', "BATCHING_DISABLED"),
    ],
    ids=["empty", "string", "number", "null", "boolean", "batch"],
)
async def test_a_json_body_that_is_not_an_operation_is_refused(
    raw: httpx.AsyncClient, body: str, code: str, accept: str
) -> None:
    response = await raw.post(
        "/graphql", content=body, headers={"content-type": "application/json", "accept": accept}
    )

    refused_request(response, accept, code)


@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize(
    "body",
    [
        {},
        {"query": 5},
        {"query": "{ topics { name } }", "variables": [1]},
        {"query": "{ topics { name } }", "operationName": 3},
        {"query": "{ topics { name } }", "extensions": "x"},
    ],
    ids=["no-query", "query-not-text", "variables-not-an-object", "name-not-text", "extensions"],
)
async def test_an_operation_of_the_wrong_shape_is_refused(
    raw: httpx.AsyncClient, body: dict[str, Any], accept: str
) -> None:
    response = await raw.post("/graphql", json=body, headers={"accept": accept})

    refused_request(response, accept, "BAD_REQUEST")


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        # Simple content types a page may send cross-site: refused as possible forgeries.
        ("text/plain", 400),
        ("application/x-www-form-urlencoded", 400),
        (None, 400),
        ("application/xml", 415),
        ("application/json; charset=latin-1", 415),
    ],
)
async def test_a_wrong_content_type_is_a_4xx(
    raw: httpx.AsyncClient, content_type: str | None, status: int
) -> None:
    headers = {"content-type": content_type} if content_type else {}

    response = await raw.post("/graphql", content=b"{ topics { name } }", headers=headers)

    assert response.status_code == status
    assert_clear_client_error(response)


async def test_a_client_that_accepts_neither_media_type_gets_a_406(
    raw: httpx.AsyncClient,
) -> None:
    response = await raw.post(
        "/graphql", json={"query": "{ topics { name } }"}, headers={"accept": "text/csv"}
    )

    assert response.status_code == 406
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"


# -- documents (the schema's answers; their statuses over HTTP are test_http's) --------------


async def test_a_graphql_syntax_error_is_an_error_not_a_crash(shared_api: Api) -> None:
    payload = await shared_api.result("{ article(id: ")

    assert_no_stack_trace(json.dumps(payload))
    assert "Syntax Error" in payload["errors"][0]["message"]


async def test_an_unknown_field_is_an_error_not_a_crash(shared_api: Api) -> None:
    payload = await shared_api.result('{ article(id: "x") { secret } }')

    assert_no_stack_trace(json.dumps(payload))
    assert "secret" in payload["errors"][0]["message"]


# -- ids ------------------------------------------------------------------------------------

INVALID_ARTICLE_IDS = [
    pytest.param(b64("Rater:sample-physician-1"), id="global-id-of-a-rater"),
    pytest.param(b64("Topic:Back Pain"), id="global-id-of-a-topic"),
    pytest.param(b64("Article:"), id="global-id-without-an-id"),
    pytest.param(b64("Article:no spaces!"), id="global-id-of-a-malformed-id"),
    pytest.param("not an id!", id="malformed-plain-id"),
    pytest.param("", id="empty"),
]


@pytest.mark.parametrize("bad_id", INVALID_ARTICLE_IDS)
async def test_article_refuses_an_invalid_id(shared_api: Api, bad_id: str) -> None:
    payload = await shared_api.result("query($id: ID!) { article(id: $id) { id } }", {"id": bad_id})

    bad_user_input(payload, "id")


@pytest.mark.parametrize(
    "bad_id",
    [
        pytest.param("garbage!", id="not-base64"),
        pytest.param(b64("no-colon"), id="no-type-name"),
        pytest.param(b64("Rater:sample-physician-1"), id="global-id-of-a-rater"),
        pytest.param(b64("Nothing:1"), id="global-id-of-no-type"),
        pytest.param(b64("Article:"), id="global-id-without-an-id"),
    ],
)
async def test_node_refuses_an_invalid_id(shared_api: Api, bad_id: str) -> None:
    payload = await shared_api.result("query($id: ID!) { node(id: $id) { id } }", {"id": bad_id})

    bad_user_input(payload)


def mutation(name: str, input_type: str) -> str:
    return (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ __typename"
        " ... on Error { code message } ... on ValidationError { field } } }"
    )


async def refused(
    api: Api, document: str, input_fields: dict[str, Any], token: str | None
) -> dict[str, Any]:
    """Send a mutation that must be refused; check it changed nothing and left no trace."""
    head = await ledger_position(api)
    payload = await api.result(document, {"input": input_fields}, token)
    assert_no_stack_trace(json.dumps(payload))
    assert "errors" not in payload, payload
    [result] = payload["data"].values()
    assert await ledger_position(api) == head
    return dict(result)


def assert_validation_error(result: dict[str, Any], field: str) -> None:
    assert result["__typename"] == "ValidationError", result
    assert result["code"] == "VALIDATION_FAILED"
    assert result["field"] == field
    assert result["message"]


SUBMIT = mutation("submitRating", "SubmitRatingInput")
REVISE = mutation("reviseRating", "ReviseRatingInput")
POST_COMMENT = mutation("postComment", "PostCommentInput")
CORRECT = mutation("correctArticle", "CorrectArticleInput")
REGISTER = mutation("registerArticle", "RegisterArticleInput")
HIDE = mutation("hideComment", "HideCommentInput")


@pytest.mark.parametrize(
    "bad_id", [b64("Rater:sample-physician-1"), b64("Topic:Back Pain"), b64("Discipline:Nurse")]
)
async def test_mutations_refuse_the_global_id_of_something_else(api: Api, bad_id: str) -> None:
    await enrol(api, "nurse-1", "Nurse")
    rater = await api.token("rater", "nurse-1")
    subscriber = await api.token("subscriber")
    editor = await api.token("editor")

    for document, fields, token in [
        (SUBMIT, {"articleId": bad_id, "relevance": 5, "newsworthiness": 5}, rater),
        (POST_COMMENT, {"articleId": bad_id, "body": "Hello."}, subscriber),
        (CORRECT, {"articleId": bad_id, "reason": "Typo.", "volume": "2"}, editor),
    ]:
        assert_validation_error(await refused(api, document, fields, token), "articleId")


@pytest.mark.parametrize("bad_id", ["no spaces!", "-starts-with-a-dash", "x" * 65, "ümlaut"])
async def test_register_article_refuses_a_malformed_article_id(api: Api, bad_id: str) -> None:
    editor = await api.token("editor")
    fields = {
        "articleId": bad_id,
        "title": "T",
        "journal": "J",
        "studyType": "Cohort study",
        "abstract": "A.",
        "topics": ["Falls"],
    }

    result = await refused(api, REGISTER, fields, editor)

    assert_validation_error(result, "articleId")


@pytest.mark.parametrize(
    ("field", "value"),
    [("pmid", "1\u0662\u0663"), ("doi", "10.\u0662\u0661\u0664\u0667/JPR.S373345")],
    ids=["pmid", "doi"],
)
async def test_register_article_refuses_an_identifier_in_digits_of_another_script(
    api: Api, field: str, value: str
) -> None:
    # No registry issues such ids, and a search for one would never find the article.
    editor = await api.token("editor")
    fields = {
        "articleId": "other-digits",
        "title": "T",
        "journal": "J",
        "studyType": "Cohort",
        "abstract": "A.",
        "topics": ["Falls"],
        field: value,
    }

    result = await refused(api, REGISTER, fields, editor)

    assert_validation_error(result, field)


async def test_an_unknown_article_or_comment_is_not_found(api: Api) -> None:
    await enrol(api, "nurse-1", "Nurse")
    rater = await api.token("rater", "nurse-1")
    editor = await api.token("editor")

    missing = await refused(
        api, SUBMIT, {"articleId": "0123456789abcdef", "relevance": 5, "newsworthiness": 5}, rater
    )
    no_comment = await refused(
        api, HIDE, {"articleId": SAMPLE_ID, "commentId": "nope", "reason": "Spam."}, editor
    )

    assert (missing["__typename"], missing["code"]) == ("NotFound", "NOT_FOUND")
    assert (no_comment["__typename"], no_comment["code"]) == ("NotFound", "NOT_FOUND")


# -- pagination arguments -------------------------------------------------------------------

PAGE = """
query($first: Int, $after: String) { articles(first: $first, after: $after) { edges { cursor } } }
"""


@pytest.mark.parametrize(
    "after",
    [
        "not-a-cursor",
        "",
        "%%%",
        b64("articles:abc"),
        b64("articles:0"),
        b64("articles:-5"),
        b64("users:5"),
        "x" * 10_000,
    ],
)
async def test_a_malformed_cursor_is_bad_user_input(shared_api: Api, after: str) -> None:
    payload = await shared_api.result(PAGE, {"first": 5, "after": after})

    bad_user_input(payload, "after")


@pytest.mark.parametrize(
    ("arguments", "argument"),
    [
        ({"minScore": 0}, "minScore"),
        ({"minScore": 8}, "minScore"),
        ({"search": "x" * 201}, "search"),
    ],
)
async def test_out_of_range_filters_are_bad_user_input(
    shared_api: Api, arguments: dict[str, Any], argument: str
) -> None:
    query = (
        "query($minScore: Int, $search: String) {"
        " articles(minScore: $minScore, search: $search) { edges { cursor } } }"
    )

    payload = await shared_api.result(query, arguments)

    bad_user_input(payload, argument)


# -- scores and comments --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("relevance", "newsworthiness", "field"),
    [
        (0, 5, "relevance"),
        (8, 5, "relevance"),
        (-1, 5, "relevance"),
        (2**31 - 1, 5, "relevance"),
        (5, 0, "newsworthiness"),
        (5, 8, "newsworthiness"),
    ],
)
async def test_scores_outside_1_to_7_are_refused(
    api: Api, relevance: int, newsworthiness: int, field: str
) -> None:
    await enrol(api, "nurse-1", "Nurse")
    await enrol(api, "nurse-2", "Nurse")
    await ask_nurses(api)
    await rate(api, SAMPLE_ID, "nurse-2", 4, 4)
    scores = {"articleId": SAMPLE_ID, "relevance": relevance, "newsworthiness": newsworthiness}

    submitted = await refused(api, SUBMIT, scores, await api.token("rater", "nurse-1"))
    revised = await refused(api, REVISE, scores, await api.token("rater", "nurse-2"))

    assert_validation_error(submitted, field)
    assert_validation_error(revised, field)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\n\t ", "x" * 5001, " " + "x" * 5001],
    ids=["empty", "blank", "ws", "5001", "5001+"],
)
async def test_empty_and_oversized_comments_are_refused(api: Api, text: str) -> None:
    await enrol(api, "nurse-1", "Nurse")
    rating = {"articleId": SAMPLE_ID, "relevance": 5, "newsworthiness": 5, "comment": text}

    with_rating = await refused(api, SUBMIT, rating, await api.token("rater", "nurse-1"))
    by_subscriber = await refused(
        api, POST_COMMENT, {"articleId": SAMPLE_ID, "body": text}, await api.token("subscriber")
    )

    assert_validation_error(with_rating, "comment")
    assert_validation_error(by_subscriber, "body")


async def test_comments_at_exactly_their_limits_are_taken(api: Api) -> None:
    # A rater's comment: 1,000 characters, as the rating form says; a subscriber's: 5,000.
    await enrol(api, "nurse-1", "Nurse")
    await ask_nurses(api)
    text = "y" * 5000

    rated = await api.data(
        SUBMIT,
        {
            "input": {
                "articleId": SAMPLE_ID,
                "relevance": 5,
                "newsworthiness": 5,
                "comment": "r" * MAX_RATER_COMMENT,
            }
        },
        await api.token("rater", "nurse-1"),
    )
    posted = await api.data(
        POST_COMMENT,
        {"input": {"articleId": SAMPLE_ID, "body": text}},
        await api.token("subscriber"),
    )

    assert rated["submitRating"]["__typename"] == "ArticlePayload"
    assert posted["postComment"]["__typename"] == "ArticlePayload"


async def test_an_empty_moderation_reason_is_refused(api: Api) -> None:
    subscriber = await api.token("subscriber")
    posted = await api.data(
        "mutation($input: PostCommentInput!) { postComment(input: $input) {"
        " ... on ArticlePayload { article { subscriberComments { id } } } } }",
        {"input": {"articleId": SAMPLE_ID, "body": "Hi."}},
        subscriber,
    )
    [comment] = posted["postComment"]["article"]["subscriberComments"]

    result = await refused(
        api,
        HIDE,
        {"articleId": SAMPLE_ID, "commentId": comment["id"], "reason": "  "},
        await api.token("editor"),
    )

    assert_validation_error(result, "reason")


# -- text no backend can store ------------------------------------------------------------


@pytest.mark.parametrize("text", ["a\x00b", "a\ud800b"], ids=["nul", "lone-surrogate"])
async def test_text_no_backend_can_store_is_bad_user_input(api: Api, text: str) -> None:
    token = await api.token("subscriber")
    position = await ledger_position(api)
    query = "mutation($input: PostCommentInput!) { postComment(input: $input) { __typename } }"
    variables = {"input": {"articleId": SAMPLE_ID, "body": text}}
    # Escaped as JSON allows (\\ud800); no client could send it as UTF-8 bytes.
    body = json.dumps({"query": query, "variables": variables})

    response = await api.client.post(
        "/graphql",
        content=body.encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
    )

    assert response.status_code == 200
    assert_no_stack_trace(response.text)
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert await ledger_position(api) == position
