"""A pending score and a retraction, as the article page and the list show them."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SEED_ARTICLE, Reader
from tests.browser.test_article_page import open_article

WITHDRAW = """mutation($input: WithdrawRatingInput!) {
  withdrawRating(input: $input) { __typename ... on Error { message } } }"""
RETRACT = """mutation($input: RetractArticleInput!) {
  retractArticle(input: $input) { __typename ... on Error { message } } }"""


def test_a_score_with_too_few_ratings_shows_how_many_more_it_needs(
    page: Page, reader: Reader
) -> None:
    rater = reader.token("rater", "--rater", "sample-physician-1")
    reader.graphql(WITHDRAW, rater, input={"articleId": SEED_ARTICLE})

    open_article(page, reader)

    scores = page.get_by_role("region", name="Discipline Area Score")
    expect(scores).to_contain_text("Physician pending: 1 more rating")
    expect(scores).not_to_contain_text("/ 7")


def test_a_retracted_article_is_marked_on_its_page_and_in_the_list(
    page: Page, reader: Reader
) -> None:
    editor = reader.token("editor")
    reader.graphql(
        RETRACT, editor, input={"articleId": SEED_ARTICLE, "reason": "Data could not be verified"}
    )

    open_article(page, reader)
    expect(page.get_by_role("note")).to_contain_text("Retracted")
    expect(page.get_by_role("note")).to_contain_text("Data could not be verified")

    page.goto(reader.url("/?includeRetracted=1"))
    expect(page.locator(".article-item")).to_contain_text("Retracted")


@pytest.mark.parametrize(
    "path",
    [
        "/articles/%E0",  # percent-encoding that is not UTF-8: the browser cannot decode it
        "/articles/no-such-article",  # well formed, but no article has it
        "/articles/not%20an%20id",  # an id the API refuses to read
    ],
)
def test_an_address_naming_no_article_says_so(page: Page, shared_reader: Reader, path: str) -> None:
    page.goto(shared_reader.url(path))

    expect(page.get_by_role("heading", level=1)).to_have_text("Article not found")
    expect(page.get_by_role("link", name="Browse the articles")).to_be_visible()
    expect(page.get_by_text("Loading…")).to_have_count(0)
