"""One intended action, one change: a double click and a retry after a lost answer post once."""

from __future__ import annotations

import json

from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import SEED_ARTICLE, Reader
from tests.browser.test_actions import post_comment, sign_in
from tests.browser.test_article_page import open_article

COMMENTS = "query($id: ID!) { article(id: $id) { subscriberComments { body } } }"


def subscriber_comments(reader: Reader) -> list[str]:
    """The comments as the API holds them, read behind the page's back."""
    response = reader.client.post(
        reader.url("/graphql"), json={"query": COMMENTS, "variables": {"id": SEED_ARTICLE}}
    )
    comments = response.json()["data"]["article"]["subscriberComments"]
    return [comment["body"] for comment in comments]


def posted_comment_key(route: Route) -> str | None:
    """The idempotency key of a postComment the page sends, None for any other request."""
    request = route.request
    if request.method != "POST" or request.post_data is None:
        return None
    body = json.loads(request.post_data)
    if "postComment" not in body.get("query", ""):
        return None
    key: str = body["variables"]["input"]["idempotencyKey"]
    return key


def test_a_double_click_posts_one_comment(page: Page, reader: Reader) -> None:
    open_article(page, reader)
    sign_in(page, reader.token("subscriber", "--name", "Dr Twice"))
    page.get_by_label("Your comment").fill("Clicked twice, meant once.")

    page.get_by_role("button", name="Post comment").dblclick()

    expect(page.get_by_role("status").filter(has_text="Comment posted.")).to_be_visible()
    assert subscriber_comments(reader) == ["Clicked twice, meant once."]


def test_a_retry_after_a_lost_answer_posts_once_with_the_same_key(
    page: Page, reader: Reader
) -> None:
    keys: list[str] = []

    def lose_the_first_answer(route: Route) -> None:
        key = posted_comment_key(route)
        if key is None:
            route.continue_()
            return
        keys.append(key)
        if len(keys) == 1:
            # The server applies the comment, but its answer never reaches the page.
            route.fetch()
            route.abort("failed")
            return
        route.continue_()

    open_article(page, reader)
    sign_in(page, reader.token("subscriber", "--name", "Dr Patient"))
    page.route(lambda url: url.endswith("/graphql"), lose_the_first_answer)

    post_comment(page, "Sent once, answered once.")
    comments = page.get_by_role("region", name="Comments from subscribers")
    expect(comments.get_by_role("alert")).to_contain_text("The API could not be reached")
    page.get_by_role("button", name="Post comment").click()

    expect(page.get_by_role("status").filter(has_text="Comment posted.")).to_be_visible()
    assert len(keys) == 2
    assert keys[0] == keys[1]
    assert subscriber_comments(reader) == ["Sent once, answered once."]


def test_a_changed_input_after_a_failure_is_a_new_action_with_a_new_key(
    page: Page, reader: Reader
) -> None:
    keys: list[str] = []

    def refuse_the_first_request(route: Route) -> None:
        key = posted_comment_key(route)
        if key is not None:
            keys.append(key)
        if key is not None and len(keys) == 1:
            route.abort("failed")  # never reaches the server
            return
        route.continue_()

    open_article(page, reader)
    sign_in(page, reader.token("subscriber", "--name", "Dr Second Thoughts"))
    page.route(lambda url: url.endswith("/graphql"), refuse_the_first_request)

    post_comment(page, "A first draft.")
    comments = page.get_by_role("region", name="Comments from subscribers")
    expect(comments.get_by_role("alert")).to_contain_text("The API could not be reached")
    post_comment(page, "A better second draft.")

    expect(page.get_by_role("status").filter(has_text="Comment posted.")).to_be_visible()
    assert len(keys) == 2
    assert keys[0] != keys[1]
    assert subscriber_comments(reader) == ["A better second draft."]
