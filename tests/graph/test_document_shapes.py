"""Documents and variables of shapes that used to reach the parser, the limit rules or the guards
unchecked: each is refused with a code, in the shape and status of its kind of refusal, before
anything runs.

Sent asking for ``application/graphql-response+json`` (400 and no ``data`` for a refusal) and
for ``application/json`` (200 with ``errors``, as the specification asks for older clients).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from graph.http.limits import MAX_NUMBER_DIGITS
from graph.settings import Limits
from tests.graph.conftest import Api
from tests.graph.helpers import assert_no_stack_trace, counting_statements, ledger_position
from tests.graph.test_limits import GRAPHQL_RESPONSE, assert_runs

JSON = "application/json"
STATUS = {GRAPHQL_RESPONSE: 400, JSON: 200}


@pytest.fixture
def api(shared_api: Api) -> Api:
    """Every request here is refused or only reads, so one service per module and backend serves
    them all."""
    return shared_api


async def send(api: Api, body: Any, accept: str) -> httpx.Response:
    return await api.client.post("/graphql", json=body, headers={"accept": accept})


async def refusal(api: Api, body: Any, code: str) -> list[dict[str, Any]]:
    """Refused with ``code`` in both media types; nothing ran, the ledger did not move."""
    position = await ledger_position(api)
    errors: list[dict[str, Any]] = []
    for accept, status in STATUS.items():
        with counting_statements(api) as statements:
            response = await send(api, body, accept)
        assert response.status_code == status, response.text
        assert_no_stack_trace(response.text)
        payload = response.json()
        assert "data" not in payload, payload
        [error] = payload["errors"]
        assert error["extensions"]["code"] == code, error
        assert error["message"].strip()
        assert error["message"] != "Unexpected error."
        assert statements == [], "a refused document must not reach the database"
        errors.append(error)
    assert await ledger_position(api) == position
    return errors


# -- integer literals longer than Python reads ----------------------------------------------


async def test_an_integer_literal_past_pythons_digit_limit_is_refused_as_bad_user_input(
    api: Api,
) -> None:
    huge = "9" * 4400
    in_argument = f"{{ articles(first: {huge}) {{ edges {{ cursor }} }} }}"
    in_default = f"query($n: Int = {huge}) {{ articles(first: $n) {{ edges {{ cursor }} }} }}"
    negative = f'{{ ledgerEvents(types: ["A"], first: -{huge}) {{ __typename }} }}'

    for query, argument in [(in_argument, "first"), (in_default, "$n"), (negative, "first")]:
        for error in await refusal(api, {"query": query}, "BAD_USER_INPUT"):
            assert error["extensions"]["argument"] == argument, error


async def test_an_integer_in_the_variables_past_the_digit_limit_is_refused_as_bad_user_input(
    api: Api,
) -> None:
    query = "query($n: Int) { articles(first: $n) { edges { cursor } } }"
    body = f'{{"query": {json.dumps(query)}, "variables": {{"n": {"9" * 4400}}}}}'
    position = await ledger_position(api)

    for accept in STATUS:
        response = await api.client.post(
            "/graphql", content=body, headers={"content-type": JSON, "accept": accept}
        )
        assert response.status_code == 400, response.text
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert "4400 digits" in error["message"], error
    assert await ledger_position(api) == position


async def test_an_integer_literal_at_the_digit_limit_is_an_ordinary_validation_error(
    api: Api,
) -> None:
    longest = "9" * MAX_NUMBER_DIGITS
    query = f"{{ articles(first: {longest}) {{ edges {{ cursor }} }} }}"

    [error, _] = await refusal(api, {"query": query}, "GRAPHQL_VALIDATION_FAILED")

    assert "Int cannot represent" in error["message"]


# -- fragments the limit rules cannot follow ------------------------------------------------


async def test_an_undefined_fragment_is_the_specifications_validation_error(api: Api) -> None:
    unknown_field = await refusal(api, {"query": "{ nope }"}, "GRAPHQL_VALIDATION_FAILED")
    missing = await refusal(api, {"query": "{ ...Missing }"}, "GRAPHQL_VALIDATION_FAILED")
    nested = await refusal(
        api,
        {"query": "{ topics { ...Missing } } fragment F on Topic { name }"},
        "GRAPHQL_VALIDATION_FAILED",
    )

    assert missing[0]["message"] == "Unknown fragment 'Missing'."
    assert nested[0]["message"] == "Unknown fragment 'Missing'."
    assert set(missing[0]) == set(unknown_field[0]) == {"message", "locations", "extensions"}


# -- choosing the operation -----------------------------------------------------------------

TWO_OPERATIONS = "query Topics { topics { name } } query Disciplines { disciplines { name } }"


async def test_several_operations_without_an_operation_name_are_refused(api: Api) -> None:
    await refusal(api, {"query": TWO_OPERATIONS}, "OPERATION_RESOLUTION_FAILURE")


async def test_several_operations_run_the_one_the_operation_name_names(api: Api) -> None:
    second = await assert_runs(api, {"query": TWO_OPERATIONS, "operationName": "Disciplines"})
    first = await assert_runs(api, {"query": TWO_OPERATIONS, "operationName": "Topics"})

    assert set(second) == {"disciplines"}
    assert set(first) == {"topics"}


async def test_an_anonymous_operation_among_several_is_the_specifications_validation_error(
    api: Api,
) -> None:
    query = "{ topics { name } } query Disciplines { disciplines { name } }"

    await refusal(api, {"query": query}, "GRAPHQL_VALIDATION_FAILED")


# -- variables nested deeper than anything reads ---------------------------------------------

LIMIT = Limits().max_variables_depth


def nested_lists(depth: int) -> Any:
    return json.loads("[" * depth + "]" * depth)


async def test_variables_nested_past_the_limit_are_refused_as_too_deep(api: Api) -> None:
    # The probe's body: 683 bytes whose variables nest 317 levels.
    deep = {"query": "{ topics { name } }", "variables": {"v": nested_lists(317)}}
    over = {"query": "{ topics { name } }", "variables": {"v": nested_lists(LIMIT + 1)}}
    in_objects: Any = "x"
    for _ in range(LIMIT + 1):
        in_objects = {"a": in_objects}
    objects = {"query": "{ topics { name } }", "variables": {"v": in_objects}}

    for body in (deep, over, objects):
        for error in await refusal(api, body, "VARIABLES_TOO_DEEP"):
            assert error["extensions"]["limit"] == LIMIT


async def test_variables_nested_to_the_limit_are_taken(api: Api) -> None:
    data = await assert_runs(
        api, {"query": "{ topics { name } }", "variables": {"v": nested_lists(LIMIT)}}
    )

    assert data["topics"]


async def test_a_declared_variable_nested_to_the_limit_gets_the_coercion_error(api: Api) -> None:
    body = {
        "query": "query($s: String) { articles(search: $s) { edges { cursor } } }",
        "variables": {"s": nested_lists(LIMIT)},
    }

    await refusal(api, body, "BAD_USER_INPUT")
