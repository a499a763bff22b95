"""Each form takes as much as its field's API limit, and a longer text is refused in the API's
words (the browser's own limit is lifted to send it, as a script or an old browser could)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from ledger.domain.ratings import MAX_RATER_COMMENT
from ledger.domain.validation import MAX_COMMENT
from tests.browser.conftest import SEED_ARTICLE, Reader
from tests.browser.test_actions import post_comment, sign_in
from tests.browser.test_article_page import open_article

# A moderation reason's limit, as ledger/domain/comments.py checks it.
MAX_REASON = 1000
COMMENTS = "query($id: ID!) { article(id: $id) { subscriberComments { body } } }"


def comment_count(reader: Reader) -> int:
    response = reader.client.post(
        reader.url("/graphql"), json={"query": COMMENTS, "variables": {"id": SEED_ARTICLE}}
    )
    return len(response.json()["data"]["article"]["subscriberComments"])


def test_a_comment_up_to_the_limit_is_posted_and_a_longer_one_refused_as_the_api_words_it(
    page: Page, reader: Reader
) -> None:
    open_article(page, reader)
    sign_in(page, reader.token("subscriber", "--name", "Dr Verbose"))
    body = page.get_by_label("Your comment")
    expect(body).to_have_attribute("maxlength", str(MAX_COMMENT))

    post_comment(page, "x" * MAX_COMMENT)
    expect(page.get_by_role("status").filter(has_text="Comment posted.")).to_be_visible()
    assert comment_count(reader) == 1

    body.evaluate("field => field.removeAttribute('maxlength')")
    post_comment(page, "y" * (MAX_COMMENT + 1))
    refusal = page.get_by_role("region", name="Comments from subscribers").get_by_role("alert")
    expect(refusal).to_contain_text(f"must be at most {MAX_COMMENT} characters")
    assert comment_count(reader) == 1


@pytest.mark.parametrize(
    ("role", "options", "label", "limit"),
    [
        ("rater", ("--rater", "sample-physician-4"), "Comment (optional", MAX_RATER_COMMENT),
        ("editor", (), "Reason for hiding this comment", MAX_REASON),
    ],
)
def test_each_form_limits_its_field_to_the_apis_limit(
    page: Page, reader: Reader, role: str, options: tuple[str, ...], label: str, limit: int
) -> None:
    if role == "editor":
        subscriber = reader.token("subscriber", "--name", "Dr Someone")
        reader.graphql(
            "mutation($input: PostCommentInput!) { postComment(input: $input) { __typename } }",
            subscriber,
            input={"articleId": SEED_ARTICLE, "body": "A comment to moderate."},
        )
    open_article(page, reader)
    sign_in(page, reader.token(role, *options))

    expect(page.get_by_label(label).first).to_have_attribute("maxlength", str(limit))
