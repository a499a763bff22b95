"""Numbers, cursors, ids and times at and past the range of the columns they are compared with.

A value no column can hold is the client's mistake: ``BAD_USER_INPUT`` naming the argument,
on both backends alike, never an overflow in a driver masked as "Unexpected error.". Values
at the bound itself are taken. Time travel out of range is refused (or null, where the
schema says so).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from graph.schema.ids import INT32_MAX, INT64_MAX
from graph.settings import Settings
from tests.graph.conftest import Api, running
from tests.graph.helpers import SAMPLE_ID, article_global_id, assert_no_stack_trace, register


@pytest.fixture
def api(shared_api: Api) -> Api:
    """These requests only read or are refused: one service serves the module (the one test
    that registers an article starts a service of its own)."""
    return shared_api


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def answer(
    api: Api, query: str, variables: dict[str, Any], token: str | None = None
) -> dict[str, Any]:
    """What the schema answers; never a trace."""
    payload = await api.result(query, variables, token)
    assert_no_stack_trace(json.dumps(payload))
    return payload


async def answer_over_http(
    api: Api, query: str, variables: dict[str, Any], token: str | None = None
) -> dict[str, Any]:
    """The body over HTTP: for what the view decides (no ``data`` when nothing ran)."""
    response = await api.post(query, variables, token)
    assert response.status_code < 500, response.text
    assert_no_stack_trace(response.text)
    payload: dict[str, Any] = response.json()
    return payload


def assert_bad_user_input(payload: dict[str, Any], argument: str) -> None:
    [error] = payload["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["extensions"]["argument"] == argument, error
    assert error["message"] != "Unexpected error."


# Numbers no column holds, and digits that are digits to `str.isdigit` but not to `int`.
PAST_EVERY_BOUND = {
    "int64-plus-one": str(INT64_MAX + 1),
    "twenty-digits": "9" * 20,
    "thirty-digits": "9" * 30,
    "past-python-4300-digits": "9" * 4400,
    "zero": "0",
    "negative": "-1",
    "superscript-two": "²",
    "arabic-indic-three": "٣",
    "fullwidth-one": "\uff11",
    "signed": "+5",
    "spaced": " 5",
}

ARTICLES_AFTER = "query($after: String) { articles(first: 5, after: $after) { edges { cursor } } }"


async def test_an_articles_cursor_past_the_largest_position_is_refused_as_bad_user_input(
    api: Api,
) -> None:
    for number in PAST_EVERY_BOUND.values():
        payload = await answer(api, ARTICLES_AFTER, {"after": b64(f"articles:{number}")})

        assert_bad_user_input(payload, "after")


async def test_an_articles_cursor_at_the_largest_position_is_taken(api: Api) -> None:
    payload = await answer(api, ARTICLES_AFTER, {"after": b64(f"articles:{INT64_MAX}")})

    assert "errors" not in payload, payload
    assert len(payload["data"]["articles"]["edges"]) == 1  # the sample, registered before it


HISTORY_AFTER = """
query($id: ID!, $after: String, $first: Int! = 5) {
  articleHistory(id: $id, after: $after, first: $first) {
    __typename ... on LedgerEventConnection { edges { cursor } }
  }
}"""


async def test_a_history_cursor_past_the_largest_stream_version_is_refused_as_bad_user_input(
    api: Api,
) -> None:
    auditor = await api.token("auditor")

    for number in [str(INT32_MAX + 1), *PAST_EVERY_BOUND.values()]:
        payload = await answer(
            api, HISTORY_AFTER, {"id": SAMPLE_ID, "after": b64(f"history:{number}")}, auditor
        )

        assert_bad_user_input(payload, "after")


async def test_a_history_cursor_at_the_largest_stream_version_is_an_empty_page(api: Api) -> None:
    auditor = await api.token("auditor")

    payload = await answer(
        api, HISTORY_AFTER, {"id": SAMPLE_ID, "after": b64(f"history:{INT32_MAX}")}, auditor
    )

    assert payload == {
        "data": {"articleHistory": {"__typename": "LedgerEventConnection", "edges": []}}
    }


NODE = "query($id: ID!) { node(id: $id) { id } }"


async def test_a_ledger_event_id_past_the_largest_position_is_refused_as_bad_user_input(
    api: Api,
) -> None:
    for token in (None, await api.token("auditor")):
        for number in PAST_EVERY_BOUND.values():
            payload = await answer(api, NODE, {"id": b64(f"LedgerEvent:{number}")}, token)

            assert_bad_user_input(payload, "id")


async def test_a_ledger_event_id_at_the_largest_position_is_no_event(api: Api) -> None:
    auditor = await api.token("auditor")

    payload = await answer(api, NODE, {"id": b64(f"LedgerEvent:{INT64_MAX}")}, auditor)

    assert payload == {"data": {"node": None}}


async def test_a_ledger_event_id_of_a_stored_event_finds_it(api: Api) -> None:
    auditor = await api.token("auditor")

    payload = await answer(api, NODE, {"id": b64("LedgerEvent:1")}, auditor)

    assert payload == {"data": {"node": {"id": b64("LedgerEvent:1")}}}


LEDGER_EVENTS = """
query($after: Int!, $first: Int!) {
  ledgerEvents(after: $after, first: $first) { __typename ... on LedgerEventsPage { hasMore } }
}"""


async def test_ledger_events_out_of_range_is_refused_as_bad_user_input(api: Api) -> None:
    auditor = await api.token("auditor")

    for after, first, argument in [
        (-1, 5, "after"),
        (-(2**31), 5, "after"),
        (0, -1, "first"),
        (0, 501, "first"),
    ]:
        payload = await answer(api, LEDGER_EVENTS, {"after": after, "first": first}, auditor)

        assert_bad_user_input(payload, argument)


async def test_ledger_events_at_the_largest_position_graphql_carries_is_an_empty_page(
    api: Api,
) -> None:
    auditor = await api.token("auditor")

    payload = await answer(api, LEDGER_EVENTS, {"after": INT32_MAX, "first": 500}, auditor)

    assert payload == {
        "data": {"ledgerEvents": {"__typename": "LedgerEventsPage", "hasMore": False}}
    }


FIRSTS = {
    "articles": ("query($n: Int!) { articles(first: $n) { edges { cursor } } }", 100),
    "relatedArticles": (
        f'query($n: Int!) {{ article(id: "{SAMPLE_ID}") {{ '
        "relatedArticles(first: $n) { id } } }",
        50,
    ),
    "articleHistory": (
        f'query($n: Int!) {{ articleHistory(id: "{SAMPLE_ID}", first: $n) {{ __typename }} }}',
        500,
    ),
    "ledgerEvents": ("query($n: Int!) { ledgerEvents(first: $n) { __typename } }", 500),
}


async def test_every_page_size_outside_its_range_is_refused_as_bad_user_input(api: Api) -> None:
    auditor = await api.token("auditor")

    for query, largest in FIRSTS.values():
        for first in (-1, -(2**31), largest + 1, INT32_MAX):
            payload = await answer(api, query, {"n": first}, auditor)

            assert_bad_user_input(payload, "first")


async def test_every_page_size_at_its_bounds_is_taken(api: Api) -> None:
    auditor = await api.token("auditor")

    for query, largest in FIRSTS.values():
        for first in (0, largest):
            payload = await answer(api, query, {"n": first}, auditor)

            assert "errors" not in payload, payload


async def test_a_number_past_a_graphql_int_in_a_variable_is_refused_naming_the_variable(
    api: Api,
) -> None:
    auditor = await api.token("auditor")

    for query, _ in FIRSTS.values():
        for first in (INT32_MAX + 1, -(2**31) - 1, INT64_MAX + 1):
            payload = await answer_over_http(api, query, {"n": first}, auditor)

            assert "data" not in payload, payload
            assert_bad_user_input(payload, "$n")


# -- times ----------------------------------------------------------------------------------

AS_OF = "query($id: ID!, $asOf: DateTime!) { article(id: $id, asOf: $asOf) { id version } }"


async def test_a_time_outside_every_backends_range_once_in_utc_is_refused_as_bad_user_input(
    api: Api,
) -> None:
    for as_of in [
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T13:59:59+14:00",
        "9999-12-31T23:59:59-14:00",
        "9999-12-31T10:00:00-14:00",
    ]:
        payload = await answer(api, AS_OF, {"id": SAMPLE_ID, "asOf": as_of})

        assert_bad_user_input(payload, "asOf")


async def test_a_time_without_a_zone_is_refused_as_bad_user_input(api: Api) -> None:
    payload = await answer(api, AS_OF, {"id": SAMPLE_ID, "asOf": "2024-01-01T00:00:00"})

    assert_bad_user_input(payload, "asOf")


async def test_the_earliest_and_latest_times_are_taken(api: Api) -> None:
    earliest = await answer(api, AS_OF, {"id": SAMPLE_ID, "asOf": "0001-01-01T14:00:00+14:00"})
    latest = await answer(api, AS_OF, {"id": SAMPLE_ID, "asOf": "9999-12-31T09:59:59-14:00"})

    assert earliest == {"data": {"article": None}}  # before the article was registered
    assert latest["data"]["article"]["id"] == article_global_id(SAMPLE_ID)


# -- time travel ----------------------------------------------------------------------------

AT_VERSION = "query($id: ID!, $v: Int!) { article(id: $id, atVersion: $v) { version } }"


async def test_a_version_past_the_articles_own_is_refused_as_bad_user_input(api: Api) -> None:
    now = await api.data("query($id: ID!) { article(id: $id) { version } }", {"id": SAMPLE_ID})
    current = now["article"]["version"]

    at_current = await api.data(AT_VERSION, {"id": SAMPLE_ID, "v": current})
    past = await answer(api, AT_VERSION, {"id": SAMPLE_ID, "v": current + 1})
    largest = await answer(api, AT_VERSION, {"id": SAMPLE_ID, "v": INT32_MAX})

    assert at_current == {"article": {"version": current}}
    assert_bad_user_input(past, "atVersion")
    assert_bad_user_input(largest, "atVersion")


async def test_a_version_below_one_is_refused_as_bad_user_input(api: Api) -> None:
    for version in [0, -1, -(2**31)]:
        payload = await answer(api, AT_VERSION, {"id": SAMPLE_ID, "v": version})

        assert_bad_user_input(payload, "atVersion")


async def test_a_time_before_the_article_existed_is_null(database_url: str) -> None:
    async with running(Settings(database_url=database_url)) as api:
        article_id = await register(api, "Registered now", ["Falls"])

        payload = await answer(api, AS_OF, {"id": article_id, "asOf": "2000-01-01T00:00:00Z"})

    assert payload == {"data": {"article": None}}


async def test_a_time_and_a_version_together_are_refused_as_bad_user_input(api: Api) -> None:
    query = (
        'query($id: ID!) { article(id: $id, asOf: "2030-01-01T00:00:00Z", atVersion: 1) { id } }'
    )

    payload = await answer(api, query, {"id": SAMPLE_ID})

    assert_bad_user_input(payload, "atVersion")


async def test_the_history_of_an_unknown_article_is_not_found(api: Api) -> None:
    auditor = await api.token("auditor")
    query = """
    query($id: ID!) {
      articleHistory(id: $id) { __typename ... on NotFound { code kind identifier } }
    }"""

    payload = await answer(api, query, {"id": "0123456789abcdef"}, auditor)

    assert payload == {
        "data": {
            "articleHistory": {
                "__typename": "NotFound",
                "code": "NOT_FOUND",
                "kind": "article",
                "identifier": "0123456789abcdef",
            }
        }
    }


async def test_an_unknown_event_type_is_refused_as_bad_user_input(api: Api) -> None:
    auditor = await api.token("auditor")

    for query in [
        f'{{ articleHistory(id: "{SAMPLE_ID}", types: ["RatingSubmitted", "RatingSubmited"])'
        " { __typename } }",
        '{ ledgerEvents(types: ["ArticleRegistered", "articleregistered"]) { __typename } }',
    ]:
        payload = await answer(api, query, {}, auditor)

        assert_bad_user_input(payload, "types")
