"""Every list of the API takes its ``first`` the same way: the default when it is not given,
refused outside 0 to the list's maximum as a bad ``first`` (one rule, ``graph.schema.paging``)."""

from __future__ import annotations

import pytest

from graph.settings import Settings
from tests.graph.conftest import Api
from tests.graph.helpers import SAMPLE_ID, article_global_id

PAGE_MAXIMUM = Settings().max_page_size
AUDIT_MAXIMUM = 500  # the audit's pages are longer: a consumer reads the whole log

# (the list's query with a `$first`, who may read it, its maximum)
LISTS = {
    "articles": (
        "query($first: Int) { articles(first: $first) { edges { cursor } } }",
        None,
        PAGE_MAXIMUM,
    ),
    "hiddenComments": (
        "query($first: Int) { hiddenComments(first: $first) { __typename } }",
        "editor",
        PAGE_MAXIMUM,
    ),
    "deadDeliveries": (
        "query($first: Int) { deadDeliveries(first: $first) { __typename } }",
        "editor",
        PAGE_MAXIMUM,
    ),
    "me.alerts": (
        "query($first: Int) { me { alerts(first: $first) { edges { cursor } } } }",
        "subscriber",
        PAGE_MAXIMUM,
    ),
    "articleHistory": (
        "query($first: Int!) { articleHistory(id: "
        f'"{article_global_id(SAMPLE_ID)}", first: $first) {{ __typename }} }}',
        "auditor",
        AUDIT_MAXIMUM,
    ),
    "ledgerEvents": (
        "query($first: Int!) { ledgerEvents(first: $first) { __typename } }",
        "auditor",
        AUDIT_MAXIMUM,
    ),
}


@pytest.mark.parametrize("listed", LISTS)
async def test_every_list_refuses_a_first_outside_its_bounds_in_the_same_words(
    shared_api: Api, listed: str
) -> None:
    query, role, maximum = LISTS[listed]
    token = await shared_api.token(role) if role is not None else None

    for first in (-1, maximum + 1):
        response = await shared_api.post(query, {"first": first}, token)

        [error] = response.json()["errors"]
        assert error["message"] == f"`first` must be from 0 to {maximum}", (listed, first)
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "first"}

    for first in (0, maximum):
        response = await shared_api.post(query, {"first": first}, token)

        assert "errors" not in response.json(), (listed, first, response.json())
