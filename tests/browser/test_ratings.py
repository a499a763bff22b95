"""A rater's own rating on the page: submitted, then revised, then withdrawn, each moving the
score shown; the form offers what the API allows for the rating the rater has."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import Reader
from tests.browser.test_actions import DASH, sign_in
from tests.browser.test_article_page import open_article

RELEVANCE = "Relevance to clinical practice in your discipline"
NEWSWORTHINESS = "Newsworthiness to clinical practice in your discipline"


def choose(form: Locator, relevance: str, newsworthiness: str) -> None:
    form.get_by_role("group", name=RELEVANCE).get_by_label(relevance).check()
    form.get_by_role("group", name=NEWSWORTHINESS).get_by_label(newsworthiness).check()


def test_a_rater_revises_then_withdraws_their_rating_and_the_score_follows(
    page: Page, reader: Reader
) -> None:
    open_article(page, reader)
    scores = page.get_by_role("region", name="Discipline Area Score")
    sign_in(page, reader.token("rater", "--rater", "sample-physician-4"))
    first = page.get_by_role("region", name="Rate this article")
    choose(
        first, f"7 {DASH} Directly and highly relevant", f"1 {DASH} Not of direct clinical interest"
    )
    first.get_by_role("button", name="Submit rating").click()
    # Relevance 5, 6, 7 and 7: a mean of 6.25, shown as 6.
    expect(page.get_by_role("status").filter(has_text="Rating recorded.")).to_be_visible()
    expect(scores).to_contain_text("Physician 6 / 7")

    # The page knows the rater has a rating now: it offers to revise it, not a second one.
    mine = page.get_by_role("region", name="Your rating of this article")
    expect(mine.get_by_role("button", name="Submit rating")).to_have_count(0)
    expect(mine.get_by_label(f"7 {DASH} Directly and highly relevant")).to_be_checked()
    mine.get_by_label(f"3 {DASH} Possibly not relevant").check()
    mine.get_by_role("button", name="Revise rating").click()
    # Relevance 5, 6, 7 and now 3: a mean of 5.25, shown as 5.
    expect(page.get_by_role("status").filter(has_text="Rating revised.")).to_be_visible()
    expect(scores).to_contain_text("Physician 5 / 7")
    expect(scores).to_contain_text("(4 ratings)")

    page.get_by_role("region", name="Your rating of this article").get_by_role(
        "button", name="Withdraw rating"
    ).click()
    expect(page.get_by_role("status").filter(has_text="Rating withdrawn.")).to_be_visible()
    expect(scores).to_contain_text("Physician 6 / 7")
    expect(scores).to_contain_text("(3 ratings)")
    expect(page.get_by_role("region", name="Rate this article")).to_be_visible()
