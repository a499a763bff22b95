"""Crafted cursors, global ids, numbers and times never end in a server error.

Every field that takes a cursor or an id is fed base64 of every prefix this API uses (and
some it does not) followed by arbitrary text, huge, negative and non-ASCII-digit numbers, and
raw garbage; then every number and time argument gets values at and past every bound (int32,
int64, Python's 4,300-digit limit, the first and last times with +14:00 and -14:00). The
answer is always a coded refusal or data: never INTERNAL_SERVER_ERROR or "Unexpected error.",
on both backends. Documents run through the schema the app serves, with its context.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.schema.ids import INT32_MAX, INT64_MAX
from graph.settings import Limits, Settings
from tests.graph.conftest import Api, running
from tests.graph.helpers import SAMPLE_ID, assert_no_stack_trace, ledger_position

SAMPLE_RATER = "sample-physician-1"


@dataclass
class Crafting:
    """The service, with a token per role, whose ledger must not move."""

    api: Api
    tokens: dict[str, str | None]

    async def send(self, caller: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        return await self.api.result(query, variables, self.tokens[caller])


@pytest.fixture
async def crafting(database_url: str) -> AsyncIterator[Crafting]:
    # Every generated mutation is sent: rate limits would answer most of them 429.
    no_rate_limits = Limits(mutations_per_minute_per_token=0, mutations_per_minute_per_address=0)
    async with running(Settings(database_url=database_url, limits=no_rate_limits)) as api:
        tokens: dict[str, str | None] = {
            "anonymous": None,
            "subscriber": await api.token("subscriber"),
            "rater": await api.token("rater", SAMPLE_RATER),
            "editor": await api.token("editor"),
            "auditor": await api.token("auditor"),
        }
        position = await ledger_position(api)
        yield Crafting(api, tokens)
        # No crafted id named anything: nothing was appended.
        assert await ledger_position(api) == position


def assert_no_server_error(payload: dict[str, Any]) -> dict[str, Any]:
    """A coded refusal or data, never a crash (a crash raises; one caught is masked, and
    coded INTERNAL_SERVER_ERROR); returns the body."""
    assert_no_stack_trace(json.dumps(payload))
    for error in payload.get("errors", []):
        code = error.get("extensions", {}).get("code")
        assert code, error
        assert code != "INTERNAL_SERVER_ERROR", error
        assert error["message"] != "Unexpected error.", error
    return payload


# (caller, the prefix of what it takes, document): each takes the crafted text as `$v`.
TAKING_AN_ID: dict[str, tuple[str, str, str]] = {
    "node": ("auditor", "LedgerEvent:", "query($v: ID!) { node(id: $v) { id } }"),
    "node-anonymous": ("anonymous", "Article:", "query($v: ID!) { node(id: $v) { id } }"),
    "article": ("anonymous", "Article:", "query($v: ID!) { article(id: $v) { id } }"),
    "articles.after": (
        "anonymous",
        "articles:",
        "query($v: String!) { articles(first: 2, after: $v) { edges { cursor } } }",
    ),
    "articleHistory.after": (
        "auditor",
        "history:",
        f'query($v: String!) {{ articleHistory(id: "{SAMPLE_ID}", first: 2, after: $v) '
        "{ __typename } }",
    ),
    "articleHistory.id": (
        "auditor",
        "Article:",
        "query($v: ID!) { articleHistory(id: $v, first: 2) { __typename } }",
    ),
    "submitRating.articleId": (
        "rater",
        "Article:",
        "mutation($v: ID!) { submitRating(input: "
        "{articleId: $v, relevance: 5, newsworthiness: 5}) { __typename } }",
    ),
    "postComment.articleId": (
        "subscriber",
        "Article:",
        'mutation($v: ID!) { postComment(input: {articleId: $v, body: "Hi."}) { __typename } }',
    ),
    "correctArticle.articleId": (
        "editor",
        "Article:",
        "mutation($v: ID!) { correctArticle(input: "
        '{articleId: $v, reason: "Typo.", volume: "2"}) { __typename } }',
    ),
    "retractArticle.articleId": (
        "editor",
        "Article:",
        'mutation($v: ID!) { retractArticle(input: {articleId: $v, reason: "Fraud."}) '
        "{ __typename } }",
    ),
    "hideComment.articleId": (
        "editor",
        "Article:",
        'mutation($v: ID!) { hideComment(input: {articleId: $v, commentId: "c", '
        'reason: "Spam."}) { __typename } }',
    ),
}

PREFIXES = ["articles:", "history:", "Article:", "LedgerEvent:", "Rater:", "Topic:", "", ":"]
# Numbers as text: Python itself refuses to write one of more than 4,300 digits.
numbers = st.one_of(
    st.integers().map(str),
    st.sampled_from([INT32_MAX, INT64_MAX]).flatmap(lambda b: st.integers(b - 1, b + 2)).map(str),
    st.integers(min_value=1, max_value=4400).map(lambda n: "9" * n),
    st.integers(min_value=4299, max_value=4301).map(lambda n: "9" * n),
    st.integers(min_value=1, max_value=4400).map(lambda n: "-" + "9" * n),
)
# Digits to `str.isdigit` (and some to `int`) that are not ASCII, mixed with ASCII ones.
DIGITS = "0123456789\u00b2\u00b3\u00b9\u2070\u2460\u0663\u06f7\u0966\uff10\uff11\U0001d7ce"
unicode_digits = st.text(st.sampled_from(DIGITS), min_size=1, max_size=30)
suffixes = st.one_of(numbers, unicode_digits, st.text(max_size=60))
encodings = st.sampled_from(
    [
        lambda raw: base64.b64encode(raw).decode(),
        lambda raw: base64.urlsafe_b64encode(raw).decode(),
        lambda raw: base64.b64encode(raw).decode().rstrip("="),
        lambda raw: raw.decode("utf-8", "replace"),
    ]
)


def prefixed(prefix: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda prefix, suffix, encode: encode(f"{prefix}{suffix}".encode("utf-8", "replace")),
        prefix,
        suffixes,
        encodings,
    )


def crafted(own_prefix: str) -> st.SearchStrategy[str]:
    """Mostly the field's own prefix, so that most values get past base64 to the number."""
    return st.one_of(
        prefixed(st.just(own_prefix)),
        prefixed(st.just(own_prefix)),
        prefixed(st.sampled_from(PREFIXES)),
        st.text(max_size=200),  # raw garbage
        st.binary(max_size=60).map(lambda raw: base64.b64encode(raw).decode()),
    )


@pytest.mark.parametrize("field", TAKING_AN_ID.keys())
@settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    # One service serves every example: nothing a crafted id does may change it anyway.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_no_crafted_cursor_or_global_id_gets_a_server_error(
    crafting: Crafting, field: str, data: st.DataObject
) -> None:
    caller, own_prefix, query = TAKING_AN_ID[field]
    value = data.draw(crafted(own_prefix), label="value")

    response = await crafting.send(caller, query, {"v": value})

    assert_no_server_error(response)


# -- values at and past every bound ---------------------------------------------------------


def around(bound: int) -> list[int]:
    return [bound - 1, bound, bound + 1, -bound, -bound - 1]


# Python reads at most 4,300 digits: the largest number it reads, and the first it does not.
DIGIT_LIMIT = [10**4300 - 1, -(10**4300 - 1)]
NUMBERS_AT_THE_BOUNDS = [0, 1, -1, *around(INT32_MAX + 1), *around(INT64_MAX + 1)]
NUMBER_TEXTS = [
    *(str(n) for n in NUMBERS_AT_THE_BOUNDS + DIGIT_LIMIT),
    "9" * 4301,
    "9" * 4400,
]

# (caller, document) taking `$n: Int!`.
TAKING_A_NUMBER: list[tuple[str, str]] = [
    ("anonymous", "query($n: Int!) { articles(first: $n) { edges { cursor } } }"),
    ("anonymous", "query($n: Int!) { articles(minScore: $n) { edges { cursor } } }"),
    ("anonymous", f'query($n: Int!) {{ article(id: "{SAMPLE_ID}", atVersion: $n) {{ id }} }}'),
    (
        "anonymous",
        f'query($n: Int!) {{ article(id: "{SAMPLE_ID}") {{ '
        "relatedArticles(first: $n) { id } } }",
    ),
    (
        "auditor",
        f'query($n: Int!) {{ articleHistory(id: "{SAMPLE_ID}", first: $n) {{ __typename }} }}',
    ),
    ("auditor", "query($n: Int!) { ledgerEvents(after: $n) { __typename } }"),
    ("auditor", "query($n: Int!) { ledgerEvents(first: $n) { __typename } }"),
    (
        "rater",
        f'mutation($n: Int!) {{ submitRating(input: {{articleId: "{SAMPLE_ID}", '
        "relevance: $n, newsworthiness: $n}) { __typename } }",
    ),
]

# Texts that carry a number: cursors and global ids.
CARRYING_A_NUMBER: list[tuple[str, str, str]] = [
    ("anonymous", "articles:", "query($v: String!) { articles(after: $v) { edges { cursor } } }"),
    (
        "auditor",
        "history:",
        f'query($v: String!) {{ articleHistory(id: "{SAMPLE_ID}", after: $v) {{ __typename }} }}',
    ),
    ("auditor", "LedgerEvent:", "query($v: ID!) { node(id: $v) { id } }"),
    ("anonymous", "LedgerEvent:", "query($v: ID!) { node(id: $v) { id } }"),
]


async def test_numbers_at_and_past_every_bound_get_data_or_a_coded_refusal(
    crafting: Crafting,
) -> None:
    for caller, query in TAKING_A_NUMBER:
        for number in NUMBERS_AT_THE_BOUNDS:
            # As a variable, and as a literal in the document (its default, and in place).
            as_default = query.replace("$n: Int!", f"$n: Int = {number}")
            as_literal = query.replace("($n: Int!)", "").replace("$n", str(number))
            for document, variables in [
                (query, {"n": number}),
                (as_default, {}),
                (as_literal, {}),
            ]:
                assert_no_server_error(await crafting.send(caller, document, variables))
        for text in NUMBER_TEXTS:
            as_literal = query.replace("($n: Int!)", "").replace("$n", text)
            assert_no_server_error(await crafting.send(caller, as_literal, {}))


async def test_cursors_and_ids_at_and_past_every_bound_get_data_or_a_coded_refusal(
    crafting: Crafting,
) -> None:
    for caller, prefix, query in CARRYING_A_NUMBER:
        for text in NUMBER_TEXTS:
            value = base64.b64encode(f"{prefix}{text}".encode()).decode()

            payload = assert_no_server_error(await crafting.send(caller, query, {"v": value}))

            if "errors" in payload:
                [error] = payload["errors"]
                assert error["extensions"]["code"] == "BAD_USER_INPUT", error


TIMES = [
    f"{moment}{offset}"
    for moment in [
        "0001-01-01T00:00:00",
        "0001-01-01T13:59:59.999999",
        "0001-01-01T14:00:00",
        "0001-01-02T00:00:00",
        "9999-12-31T23:59:59.999999",
        "9999-12-31T10:00:00",
        "9999-12-31T09:59:59",
        "9999-12-30T00:00:00",
    ]
    for offset in ["+14:00", "-14:00", "+23:59", "-23:59", "Z", "+00:00", ""]
]


async def test_times_at_and_past_the_first_and_last_get_data_or_bad_user_input(
    crafting: Crafting,
) -> None:
    query = f'query($t: DateTime!) {{ article(id: "{SAMPLE_ID}", asOf: $t) {{ id }} }}'

    for time in TIMES:
        payload = assert_no_server_error(await crafting.send("anonymous", query, {"t": time}))

        if "errors" in payload:
            [error] = payload["errors"]
            assert error["extensions"]["code"] == "BAD_USER_INPUT", error
