"""What a signed-in reader does through the page: comment, rate, hide; and a refusal shown."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import SEED_ARTICLE, Reader
from tests.browser.test_article_page import open_article

# The rating form labels each choice "7 \N{EN DASH} <the API's wording>".
DASH = "\N{EN DASH}"
NO_COMMENTS = "No subscriber has commented on this article yet."


def enter_token(page: Page, token: str) -> None:
    page.get_by_text("Sign in with a token").click()
    page.get_by_label("Bearer token").fill(token)
    page.get_by_role("button", name="Use token").click()


def sign_in(page: Page, token: str) -> None:
    enter_token(page, token)
    expect(page.locator("#token-status")).to_contain_text("Signed in as")


def post_comment(page: Page, body: str) -> None:
    page.get_by_label("Your comment").fill(body)
    page.get_by_role("button", name="Post comment").click()


def test_a_subscribers_comment_appears_in_place_of_the_no_subscriber_line(
    page: Page, reader: Reader
) -> None:
    token = reader.token("subscriber", "--name", "Dr Ada Lovelace")
    open_article(page, reader)
    expect(page.get_by_text(NO_COMMENTS)).to_be_visible()
    sign_in(page, token)

    post_comment(page, "A careful review; the imaging outcomes deserve a trial.")

    expect(page.get_by_role("status").filter(has_text="Comment posted.")).to_be_visible()
    comments = page.get_by_role("region", name="Comments from subscribers")
    expect(comments.get_by_role("heading", name="Dr Ada Lovelace")).to_be_visible()
    expect(comments).to_contain_text("A careful review; the imaging outcomes deserve a trial.")
    expect(page.get_by_text(NO_COMMENTS)).to_have_count(0)
    # It is in the ledger, not only on this page: a fresh visit draws it again.
    page.reload()
    expect(page.get_by_role("region", name="Comments from subscribers")).to_contain_text(
        "the imaging outcomes"
    )


def test_a_raters_rating_moves_the_score_shown(page: Page, reader: Reader) -> None:
    token = reader.token("rater", "--rater", "sample-physician-4")
    open_article(page, reader)
    scores = page.get_by_role("region", name="Discipline Area Score")
    expect(scores).to_contain_text("Physician 6 / 7")
    sign_in(page, token)

    form = page.get_by_role("region", name="Rate this article")
    # The scales' questions and labels are the API's wording, not the page's.
    relevance = form.get_by_role("group", name="Relevance to clinical practice in your discipline")
    relevance.get_by_label(f"3 {DASH} Possibly not relevant").check()
    newsworthiness = form.get_by_role(
        "group", name="Newsworthiness to clinical practice in your discipline"
    )
    newsworthiness.get_by_label(f"1 {DASH} Not of direct clinical interest").check()
    form.get_by_role("button", name="Submit rating").click()

    # Relevance 5, 6, 7 and now 3: a mean of 5.25, shown rounded as 5.
    expect(page.get_by_role("status").filter(has_text="Rating recorded.")).to_be_visible()
    expect(scores).to_contain_text("Physician 5 / 7")
    expect(scores).to_contain_text("(4 ratings)")


def test_a_stale_tokens_refusal_is_shown_as_the_api_words_it(page: Page, reader: Reader) -> None:
    token = reader.token("subscriber", "--name", "Dr Stale")
    open_article(page, reader)
    sign_in(page, token)
    reader.command("token", "revoke", token)

    post_comment(page, "This should not be recorded.")

    refusal = page.get_by_role("region", name="Comments from subscribers").get_by_role("alert")
    expect(refusal).to_have_text(
        "the bearer token is unknown, expired or revoked (UNAUTHENTICATED)"
    )
    expect(page.get_by_text(NO_COMMENTS)).to_be_visible()


def test_a_token_the_api_does_not_know_is_refused_at_sign_in_in_its_words(
    page: Page, reader: Reader
) -> None:
    open_article(page, reader)
    enter_token(page, "el_not_a_token")
    expect(page.locator("#token-status")).to_have_text(
        "Refused: the bearer token is unknown, expired or revoked (UNAUTHENTICATED)"
    )
    expect(page.get_by_label("Your comment")).to_have_count(0)


def test_an_editor_hides_a_subscribers_comment(page: Page, reader: Reader) -> None:
    subscriber = reader.token("subscriber", "--name", "Dr Noisy")
    reader.graphql(
        "mutation($input: PostCommentInput!) { postComment(input: $input) { __typename } }",
        subscriber,
        input={"articleId": SEED_ARTICLE, "body": "Buy my supplements."},
    )
    open_article(page, reader)
    expect(page.get_by_text("Buy my supplements.")).to_be_visible()
    sign_in(page, reader.token("editor"))

    page.get_by_label("Reason for hiding this comment").fill("Advertising")
    page.get_by_role("button", name="Hide comment").click()

    expect(page.get_by_role("status").filter(has_text="Comment hidden.")).to_be_visible()
    expect(page.get_by_text("Buy my supplements.")).to_have_count(0)
    expect(page.get_by_text(NO_COMMENTS)).to_be_visible()
