"""The reader's list page answered from one read equals the general executor's answer, for
any history, page size, cursor and caller; filtered lists and bad cursors go to the executor."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.http.pages.documents import ARTICLE_LIST
from tests.graph.conftest import Api
from tests.graph.pages.helpers import answered_fast, both_ways
from tests.graph.pages.histories import HISTORIES, tokens, written


async def _walk(api: Api, variables: dict[str, Any], token: str | None) -> int:
    """Every page of the list, each compared; how many pages there were."""
    pages = 0
    while True:
        fast, general = await both_ways(api, ARTICLE_LIST, variables, token)
        assert fast == general, (variables, token)
        pages += 1
        info = fast.body["data"]["articles"]["pageInfo"]
        if not info["hasNextPage"] or variables["first"] == 0:
            return pages
        variables = {**variables, "after": info["endCursor"]}


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    history=HISTORIES.strategy,
    first=st.integers(0, 4),
    include_retracted=st.sampled_from([None, False, True, "absent"]),
)
async def test_every_list_page_equals_the_executors_for_every_caller(
    api: Api, history: list[tuple[Any, ...]], first: int, include_retracted: object
) -> None:
    ids = await written(api, history)
    variables: dict[str, Any] = {"first": first}
    if include_retracted != "absent":
        variables["includeRetracted"] = include_retracted
    before = answered_fast(api)
    pages = 0
    for token in await tokens(api, ids[0].replace("-a0", "-r0")):
        pages += await _walk(api, variables, token)
    assert answered_fast(api) == before + pages


async def test_filtered_lists_and_bad_cursors_go_to_the_executor(api: Api) -> None:
    before = answered_fast(api)
    for variables in (
        {"first": 5, "topic": "Back Pain"},
        {"first": 5, "search": "exercise"},
        {"first": 5, "minScore": 3},
        {"first": 5, "discipline": "Nurse"},
        {"first": 5, "studyType": "Systematic review"},
        {"first": 5, "after": "not a cursor"},
        {"first": 5, "includeRetracted": 1},
        {"first": -1},
        {"first": 10_000},
        {"first": True},
        {"after": None},
    ):
        fast, general = await both_ways(api, ARTICLE_LIST, variables)
        assert fast == general, variables
    assert answered_fast(api) == before
