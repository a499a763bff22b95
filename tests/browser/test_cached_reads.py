"""The reader's page reads by persisted queries over GET, and a second visit is answered
from what the browser and the server kept: revalidated, not executed again."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, Response

from tests.browser.conftest import SEED_ARTICLE, Reader
from tests.browser.test_article_page import open_article


def cache_counters(reader: Reader) -> dict[str, Any]:
    counters: dict[str, Any] = reader.client.get(reader.url("/healthz")).json()["responseCache"]
    return counters


def test_later_visits_of_an_article_are_answered_without_executing(
    page: Page, reader: Reader
) -> None:
    reads: list[Response] = []
    page.on("response", lambda r: reads.append(r) if "/graphql" in r.url else None)
    open_article(page, reader)
    assert [r.request.method for r in reads] == ["GET", "GET"]  # the hash, then the text
    assert "PERSISTED_QUERY_NOT_FOUND" in reads[0].text()
    before = cache_counters(reader)

    # The second visit: the hash alone, answered from the server's cache.
    reads.clear()
    open_article(page, reader)
    [second] = reads
    assert "query=" not in second.url
    # The third: the browser kept that answer and revalidates it with its ETag: a 304.
    reads.clear()
    open_article(page, reader)
    [third] = reads

    after = cache_counters(reader)
    assert third.request.all_headers().get("if-none-match") == second.headers["etag"]
    assert after["hits"] == before["hits"] + 2
    assert after["executions"] == before["executions"]


def test_a_retraction_made_elsewhere_shows_on_the_next_visit(page: Page, reader: Reader) -> None:
    open_article(page, reader)
    assert "retracted" not in page.locator("main").inner_text().lower()
    editor = reader.token("editor")
    reader.graphql(
        'mutation($id: ID!) { retractArticle(input: {articleId: $id, reason: "Withdrawn"})'
        " { __typename } }",
        editor,
        id=SEED_ARTICLE,
    )

    open_article(page, reader)

    assert "retracted" in page.locator("main").inner_text().lower()
