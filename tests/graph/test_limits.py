"""Every limit on a request: the smallest document that crosses it is refused with its code
before anything runs (no SQL statement, no change), and one just under it runs.

Documents are sent asking for ``application/graphql-response+json``, whose status codes say
whether anything was executed: 400 and no ``data`` for a refusal.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import httpx
import pytest

from graph.settings import Limits, Settings
from tests.graph.conftest import Api, running
from tests.graph.helpers import SAMPLE_ID, article_global_id, counting_statements, ledger_position

GRAPHQL_RESPONSE = "application/graphql-response+json"
DEFAULTS = Limits()


async def send(api: Api, body: Any, token: str | None = None) -> httpx.Response:
    headers = {"accept": GRAPHQL_RESPONSE}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    return await api.client.post("/graphql", json=body, headers=headers)


async def assert_refused_before_running(
    api: Api, body: Any, code: str, status: int = 400
) -> dict[str, Any]:
    """Refused with ``code``; no statement reached the database, the ledger did not move."""
    position = await ledger_position(api)
    with counting_statements(api) as statements:
        response = await send(api, body)
    assert response.status_code == status, response.text
    payload = response.json()
    assert "data" not in payload, payload
    [error] = payload["errors"]
    assert error["extensions"]["code"] == code, error
    assert statements == [], "a refused request must not reach the database"
    assert await ledger_position(api) == position
    return dict(error)


async def assert_runs(api: Api, body: Any, token: str | None = None) -> dict[str, Any]:
    response = await send(api, body, token)
    assert response.status_code == 200, response.text
    payload = response.json()
    assert "errors" not in payload, payload
    data: dict[str, Any] = payload["data"]
    return data


# -- documents just under and just over each limit ------------------------------------------


def nested_related(depth: int) -> str:
    """``depth`` levels of objects: an article, then related articles of related articles."""
    inner = "{ id }"
    for _ in range(depth - 1):
        inner = f"{{ relatedArticles(first: 1) {inner} }}"
    return f'{{ article(id: "{SAMPLE_ID}") {inner} }}'


def aliases(count: int) -> str:
    return "{ " + " ".join(f"a{i}: __typename" for i in range(count)) + " }"


def directives(count: int) -> str:
    return "{ " + " ".join(["__typename @include(if: true)"] * count) + " }"


def tokens(count: int) -> str:
    """A document of ``count`` tokens.

    ``{ ledgerEvents ( types : [`` and ``] ) { __typename } }`` are 12 tokens.
    """
    strings = " ".join(['"t"'] * (count - 12))
    return f"{{ ledgerEvents(types: [{strings}]) {{ __typename }} }}"


def characters(count: int) -> str:
    """A document of exactly ``count`` characters: a comment pads it (comments are no tokens)."""
    operation = "\n{ __typename }"
    return "#" + "x" * (count - len(operation) - 1) + operation


def costing(related: int) -> str:
    """100 articles with ``related`` related each: 100 x (3 + related) objects at most."""
    return (
        "{ articles(first: 100) { edges { node { "
        f"relatedArticles(first: {related}) {{ id }} }} }} }} }}"
    )


def doubling_fragments(levels: int) -> str:
    """Each fragment spreads the next twice: 2 ** levels selections from a few hundred bytes."""
    chain = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    return "\n".join(["{ ...F0 }", *chain, f"fragment F{levels} on Query {{ __typename }}"])


LIMITS: list[tuple[str, Callable[[], str], Callable[[], str], str]] = [
    (
        "depth",
        lambda: nested_related(DEFAULTS.max_depth),
        lambda: nested_related(DEFAULTS.max_depth + 1),
        "DEPTH_LIMIT_EXCEEDED",
    ),
    (
        "aliases",
        lambda: aliases(DEFAULTS.max_aliases),
        lambda: aliases(DEFAULTS.max_aliases + 1),
        "ALIAS_LIMIT_EXCEEDED",
    ),
    (
        "directives",
        lambda: directives(DEFAULTS.max_directives),
        lambda: directives(DEFAULTS.max_directives + 1),
        "DIRECTIVE_LIMIT_EXCEEDED",
    ),
    (
        "tokens",
        lambda: tokens(DEFAULTS.max_tokens),
        lambda: tokens(DEFAULTS.max_tokens + 1),
        "TOKEN_LIMIT_EXCEEDED",
    ),
    (
        "characters",
        lambda: characters(DEFAULTS.max_document_chars),
        lambda: characters(DEFAULTS.max_document_chars + 1),
        "DOCUMENT_TOO_LARGE",
    ),
    # 1,024 selections expanded, then 2,048 (the limit is 2,000).
    (
        "expansion",
        lambda: doubling_fragments(10),
        lambda: doubling_fragments(11),
        "DOCUMENT_TOO_COMPLEX",
    ),
    # 100 x (3 + 47) = 5000, the limit; 100 x (3 + 48) = 5100 (the smallest step here).
    ("cost", lambda: costing(47), lambda: costing(48), "COST_LIMIT_EXCEEDED"),
]


def test_the_defaults_are_the_ones_the_service_promises() -> None:
    """The README's and the issue's figures (graphql-armor's defaults or stricter)."""
    assert (DEFAULTS.max_depth, DEFAULTS.max_aliases, DEFAULTS.max_directives) == (8, 15, 50)
    assert (DEFAULTS.max_tokens, DEFAULTS.max_document_chars) == (1000, 15_000)
    assert (DEFAULTS.max_cost, DEFAULTS.max_batch, DEFAULTS.max_body_bytes) == (5000, 0, 65536)
    assert DEFAULTS.mutations_per_minute_per_token == 60
    assert DEFAULTS.mutations_per_minute_per_address == 600


@pytest.mark.parametrize(
    ("under", "over", "code"),
    [pytest.param(under, over, code, id=name) for name, under, over, code in LIMITS],
)
async def test_a_document_just_over_a_limit_is_refused_and_one_at_it_runs(
    api: Api, under: Callable[[], str], over: Callable[[], str], code: str
) -> None:
    await assert_runs(api, {"query": under()})

    error = await assert_refused_before_running(api, {"query": over()}, code)

    assert error["message"].strip()


async def test_a_fragment_bomb_is_refused_before_any_rule_walks_it(api: Api) -> None:
    """2 ** 40 selections from 2 KB: the rules that walk the expanded document never see it."""
    error = await assert_refused_before_running(
        api, {"query": doubling_fragments(40)}, "DOCUMENT_TOO_COMPLEX"
    )

    assert str(2**40) in error["message"]


async def test_the_cost_counts_page_sizes_given_in_variables(api: Api) -> None:
    query = (
        "query($n: Int!) { articles(first: 100) { edges { node { "
        "relatedArticles(first: $n) { id } } } } }"
    )

    await assert_runs(api, {"query": query, "variables": {"n": 47}})
    error = await assert_refused_before_running(
        api, {"query": query, "variables": {"n": 48}}, "COST_LIMIT_EXCEEDED"
    )

    assert (error["extensions"]["cost"], error["extensions"]["limit"]) == (5100, 5000)


async def test_a_mutation_over_the_cost_limit_changes_nothing(api: Api) -> None:
    token = await api.token("subscriber")
    mutation = (
        "mutation($input: PostCommentInput!) { postComment(input: $input) { __typename "
        "... on ArticlePayload { article { relatedArticles(first: 50) { relatedArticles(first: 50)"
        " { relatedArticles(first: 50) { id } } } } } } }"
    )
    body = {
        "query": mutation,
        "variables": {"input": {"articleId": article_global_id(SAMPLE_ID), "body": "Useful."}},
    }
    position = await ledger_position(api)

    response = await send(api, body, token)

    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "COST_LIMIT_EXCEEDED"
    assert await ledger_position(api) == position


async def test_field_suggestions_are_hidden(api: Api) -> None:
    response = await send(api, {"query": "{ topicz { name } }"})

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "Did you mean" not in error["message"]
    assert "topics" not in error["message"]


async def test_a_body_over_the_limit_is_a_413_and_one_at_it_is_read(api: Api) -> None:
    def body_of(size: int) -> bytes:
        shell = json.dumps({"query": "{ __typename }", "variables": {"pad": ""}}).encode()
        return shell.replace(b'"pad": ""', b'"pad": "' + b"x" * (size - len(shell)) + b'"')

    limit = DEFAULTS.max_body_bytes
    headers = {"content-type": "application/json", "accept": GRAPHQL_RESPONSE}
    at_limit = await api.client.post("/graphql", content=body_of(limit), headers=headers)
    with counting_statements(api) as statements:
        over = await api.client.post("/graphql", content=body_of(limit + 1), headers=headers)

    assert at_limit.status_code == 200, at_limit.text
    assert over.status_code == 413
    assert over.json()["errors"][0]["extensions"]["code"] == "BODY_TOO_LARGE"
    assert statements == []


async def test_a_chunked_body_over_the_limit_is_a_413(api: Api) -> None:
    """No Content-Length to trust: the bytes are counted as they arrive."""

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ __typename }", "variables": {"pad": "'
        for _ in range(DEFAULTS.max_body_bytes // 1024 + 1):
            yield b"x" * 1024
        yield b'"}}'

    response = await api.client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )

    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BODY_TOO_LARGE"


# -- batches --------------------------------------------------------------------------------


async def test_batches_are_refused_by_default(api: Api) -> None:
    await assert_refused_before_running(api, [{"query": "{ __typename }"}], "BATCHING_DISABLED")


async def test_a_capped_batch_runs_up_to_the_cap(database_url: str) -> None:
    settings = Settings(database_url=database_url, limits=replace(DEFAULTS, max_batch=2))
    async with running(settings) as api:
        two = await send(api, [{"query": "{ __typename }"}, {"query": "{ topics { name } }"}])
        three = [{"query": "{ __typename }"}] * 3

        assert two.status_code == 200, two.text
        assert [sorted(item["data"]) for item in two.json()] == [["__typename"], ["topics"]]
        await assert_refused_before_running(api, three, "BATCH_TOO_LARGE")


# -- mutation rates -------------------------------------------------------------------------

POST_COMMENT = """
mutation($input: PostCommentInput!) {
  postComment(input: $input) { __typename ... on Error { code } }
}
"""


def comment(key: str) -> dict[str, Any]:
    return {
        "query": POST_COMMENT,
        "variables": {
            "input": {
                "articleId": article_global_id(SAMPLE_ID),
                "body": f"Comment {key}",
                "idempotencyKey": key,
            }
        },
    }


async def assert_rate_limited(api: Api, body: Any, token: str) -> int:
    position = await ledger_position(api)
    response = await send(api, body, token)
    assert response.status_code == 429, response.text
    retry_after = int(response.headers["retry-after"])
    assert retry_after >= 1
    payload = response.json()
    assert "data" not in payload
    [error] = payload["errors"]
    assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfter": retry_after}
    assert await ledger_position(api) == position
    return retry_after


async def test_mutations_beyond_a_tokens_rate_get_a_429_with_retry_after(
    database_url: str,
) -> None:
    limits = replace(DEFAULTS, mutations_per_minute_per_token=2)
    async with running(Settings(database_url=database_url, limits=limits)) as api:
        first, second = await api.token("subscriber"), await api.token("subscriber")
        for key in ("a", "b"):
            data = await assert_runs(api, comment(key), first)
            assert data["postComment"]["__typename"] == "ArticlePayload"

        retry_after = await assert_rate_limited(api, comment("c"), first)

        # Two a minute: the next is allowed in about 30 s.
        assert 1 <= retry_after <= 30
        # Another token is counted apart; queries are never counted.
        await assert_runs(api, comment("d"), second)
        await assert_runs(api, {"query": "{ topics { name } }"}, first)


async def test_mutations_beyond_an_addresss_rate_get_a_429_whatever_the_token(
    database_url: str,
) -> None:
    limits = replace(DEFAULTS, mutations_per_minute_per_token=0, mutations_per_minute_per_address=3)
    async with running(Settings(database_url=database_url, limits=limits)) as api:
        tokens = [await api.token("subscriber") for _ in range(4)]
        for key, token in zip("abc", tokens, strict=False):
            await assert_runs(api, comment(key), token)

        await assert_rate_limited(api, comment("d"), tokens[3])


async def test_a_refused_mutation_does_not_use_up_the_rate(database_url: str) -> None:
    """Only mutations that would run are counted: refusals before them cost nothing."""
    limits = replace(DEFAULTS, mutations_per_minute_per_token=1)
    async with running(Settings(database_url=database_url, limits=limits)) as api:
        token = await api.token("subscriber")
        invalid = {"query": "mutation { postComment(input: {}) { __typename } }"}
        for _ in range(3):
            response = await send(api, invalid, token)
            assert response.status_code == 400

        await assert_runs(api, comment("a"), token)
