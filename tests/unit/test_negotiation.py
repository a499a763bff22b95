"""Which media type an Accept header gets, and what a document costs."""

from __future__ import annotations

import pytest
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

from graph.http.cost import UNPAGED_LIST_LENGTH, operation_cost
from graph.http.guards import PAGE_BOUNDS
from graph.http.media_types import GRAPHQL_RESPONSE, JSON, accepts_html, negotiate
from graph.http.schema import build_schema


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        (JSON, JSON),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{JSON}, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0.9, {JSON}", JSON),
        (f"{GRAPHQL_RESPONSE}, */*;q=0.1", GRAPHQL_RESPONSE),
        (f"{JSON};q=0", None),
        ("text/html", None),
        ("text/html;q=oops, */*", JSON),
        ("APPLICATION/JSON", JSON),
    ],
)
def test_negotiation(accept: str | None, chosen: str | None) -> None:
    assert negotiate(accept) == chosen


def cost(document: str, variables: dict[str, object] | None = None) -> int:
    parsed = parse(document)
    [operation] = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {
        d.name.value: d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return operation_cost(
        build_schema()._schema,
        operation,
        fragments,
        variables or {},
        default_page=20,
        max_page=100,
        page_bounds=PAGE_BOUNDS,
    )


@pytest.mark.parametrize(
    ("document", "variables", "expected"),
    [
        ("{ __typename }", None, 0),
        ('{ article(id: "a") { id studyType } }', None, 1),
        ('{ article(id: "a") { citation { line } } }', None, 2),
        ('{ article(id: "a") { topics { name } } }', None, 1 + UNPAGED_LIST_LENGTH),
        # The connection, its edges and their nodes, for each of `first` articles.
        ("{ articles(first: 10) { edges { node { id } } } }", None, 10 * 3),
        ("{ articles { edges { node { id } } } }", None, 20 * 3),
        ("query($n: Int) { articles(first: $n) { edges { cursor } } }", {"n": 7}, 7 * 2),
        ("query($n: Int = 4) { articles(first: $n) { edges { cursor } } }", None, 4 * 2),
        # A variable that is not a number costs the largest page.
        ("query($n: Int) { articles(first: $n) { edges { cursor } } }", {"n": "x"}, 100 * 2),
        # Beyond the largest page, the resolver refuses: the page is counted at the largest.
        ("{ articles(first: 100000) { pageInfo { hasNextPage } } }", None, 100 * 2),
        ('{ article(id: "a") { relatedArticles(first: 500) { id } } }', None, 1 + 50),
        (
            "{ ledgerEvents(first: 500) { ... on LedgerEventsPage { events { position } } } }",
            None,
            500 * 2,
        ),
        (
            "fragment F on Article { relatedArticles(first: 2) { id } } "
            '{ article(id: "a") { ...F } }',
            None,
            1 + 2,
        ),
        ("{ __schema { types { fields { name } } } }", None, 0),
    ],
)
def test_cost(document: str, variables: dict[str, object] | None, expected: int) -> None:
    assert cost(document, variables) == expected


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (None, False),
        ("", False),
        ("*/*", False),
        ("text/*", False),
        ("text/html", True),
        ("text/html,application/xhtml+xml,*/*;q=0.8", True),
        ("application/json, text/html;q=0.1", True),
        ("TEXT/HTML", True),
        ("text/html;q=0, */*", False),
        ("text/html;q=oops", False),
        ("text/htmlx", False),
    ],
)
def test_html_is_accepted_only_where_named_with_a_quality_above_0(
    accept: str | None, html: bool
) -> None:
    assert accepts_html(accept) is html
