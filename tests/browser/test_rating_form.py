"""The reader's page asks the reference service's whole rating form: relevance on seven points
or "beyond my expertise"; newsworthiness only above a relevance of 2, on seven points or "I
don't know"; a counted comment. Each answer reaches the ledger as the API takes it, and the
rater's rating shows what they answered and can be revised to any other answer."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import SEED_ARTICLE, Reader
from tests.browser.test_actions import DASH, sign_in
from tests.browser.test_article_page import open_article
from tests.browser.test_ratings import NEWSWORTHINESS, RELEVANCE

BEYOND = "Beyond my personal area of expertise but may be of interest to my discipline"
DONT_KNOW = "I don't know if this is newsworthy"
RATER = "sample-physician-4"
PHYSICIANS = """query($id: ID!) { article(id: $id) { disciplineScores {
  discipline { name } relevance newsworthiness ratingCount newsworthinessCount } } }"""
MINE = """{ me { ratings { article { articleId } withdrawn relevance newsworthiness comment
  beyondExpertise newsworthinessAbsent } } }"""


def physicians(reader: Reader, token: str) -> dict[str, Any]:
    """The physicians' score as the API has it: the means and both counts."""
    body: Any = reader.graphql(PHYSICIANS, token, id=SEED_ARTICLE)
    [score] = [
        score
        for score in body["data"]["article"]["disciplineScores"]
        if score["discipline"]["name"] == "Physician"
    ]
    return dict(score)


def my_rating(reader: Reader, token: str) -> dict[str, Any]:
    body: Any = reader.graphql(MINE, token)
    [rating] = [
        rating
        for rating in body["data"]["me"]["ratings"]
        if rating["article"]["articleId"] == SEED_ARTICLE and not rating["withdrawn"]
    ]
    return dict(rating)


def relevance(form: Locator) -> Locator:
    return form.get_by_role("group", name=RELEVANCE)


def newsworthiness(form: Locator) -> Locator:
    return form.get_by_role("group", name=NEWSWORTHINESS)


def open_as_rater(page: Page, reader: Reader) -> str:
    token = reader.token("rater", "--rater", RATER)
    open_article(page, reader)
    sign_in(page, token)
    return token


def test_a_rater_beyond_their_expertise_answers_without_moving_the_score(
    page: Page, reader: Reader
) -> None:
    token = open_as_rater(page, reader)
    scores = page.get_by_role("region", name="Discipline Area Score")
    before = physicians(reader, token)
    form = page.get_by_role("region", name="Rate this article")

    relevance(form).get_by_label(BEYOND).check()
    # Beyond their expertise, newsworthiness is not asked.
    expect(newsworthiness(form)).to_have_count(0)
    form.get_by_role("button", name="Submit rating").click()

    expect(page.get_by_role("status").filter(has_text="Rating recorded.")).to_be_visible()
    expect(scores).to_contain_text("Physician 6 / 7")
    expect(scores).to_contain_text("(3 ratings)")
    assert physicians(reader, token) == before
    mine = page.get_by_role("region", name="Your rating of this article")
    expect(mine).to_contain_text(f"You answered “{BEYOND}”")
    expect(relevance(mine).get_by_label(BEYOND)).to_be_checked()
    expect(newsworthiness(mine)).to_have_count(0)
    rating = my_rating(reader, token)
    assert rating["beyondExpertise"] is True
    assert (rating["relevance"], rating["newsworthiness"]) == (None, None)


def test_a_relevance_of_2_asks_no_newsworthiness_and_moves_only_the_relevance_mean(
    page: Page, reader: Reader
) -> None:
    token = open_as_rater(page, reader)
    scores = page.get_by_role("region", name="Discipline Area Score")
    before = physicians(reader, token)
    form = page.get_by_role("region", name="Rate this article")
    expect(newsworthiness(form)).to_have_count(0)

    # Above 2 newsworthiness is asked at once; back at 2 it is gone again.
    relevance(form).get_by_label(f"3 {DASH} Possibly not relevant").check()
    expect(newsworthiness(form)).to_be_visible()
    relevance(form).get_by_label(f"2 {DASH} Probably not relevant").check()
    expect(newsworthiness(form)).to_have_count(0)
    form.get_by_role("button", name="Submit rating").click()

    # Relevance 5, 6, 7 and now 2: a mean of 5.
    expect(page.get_by_role("status").filter(has_text="Rating recorded.")).to_be_visible()
    expect(scores).to_contain_text("Physician 5 / 7")
    expect(scores).to_contain_text("(4 ratings)")
    after = physicians(reader, token)
    assert (after["relevance"], after["ratingCount"]) == (5.0, 4)
    assert after["newsworthinessCount"] == before["newsworthinessCount"] == 3
    assert after["newsworthiness"] == before["newsworthiness"]
    expect(page.get_by_role("region", name="Your rating of this article")).to_contain_text(
        "You rated relevance 2 (newsworthiness is not asked at that relevance)"
    )
    assert my_rating(reader, token)["newsworthinessAbsent"] == "NOT_ASKED"


def test_a_rater_who_does_not_know_if_it_is_newsworthy_says_so(page: Page, reader: Reader) -> None:
    token = open_as_rater(page, reader)
    form = page.get_by_role("region", name="Rate this article")

    relevance(form).get_by_label(f"4 {DASH} Possibly relevant").check()
    newsworthiness(form).get_by_label(DONT_KNOW).check()
    form.get_by_role("button", name="Submit rating").click()

    expect(page.get_by_role("status").filter(has_text="Rating recorded.")).to_be_visible()
    after = physicians(reader, token)
    assert (after["ratingCount"], after["newsworthinessCount"]) == (4, 3)
    mine = page.get_by_role("region", name="Your rating of this article")
    expect(mine).to_contain_text(f"You rated relevance 4 and newsworthiness “{DONT_KNOW}”")
    expect(newsworthiness(mine).get_by_label(DONT_KNOW)).to_be_checked()
    rating = my_rating(reader, token)
    assert (rating["relevance"], rating["newsworthinessAbsent"]) == (4, "DONT_KNOW")


def revise(page: Page) -> Locator:
    """The rater's form after a revision was recorded and the page drawn again."""
    mine = page.get_by_role("region", name="Your rating of this article")
    mine.get_by_role("button", name="Revise rating").click()
    expect(page.get_by_role("status").filter(has_text="Rating revised.")).to_be_visible()
    return page.get_by_role("region", name="Your rating of this article")


def test_a_rating_is_revised_from_each_kind_of_answer_to_another(
    page: Page, reader: Reader
) -> None:
    token = open_as_rater(page, reader)
    scores = page.get_by_role("region", name="Discipline Area Score")
    form = page.get_by_role("region", name="Rate this article")
    relevance(form).get_by_label(BEYOND).check()
    form.get_by_role("button", name="Submit rating").click()
    expect(page.get_by_role("status").filter(has_text="Rating recorded.")).to_be_visible()

    # Beyond their expertise to a relevance and "don't know": now it counts.
    mine = page.get_by_role("region", name="Your rating of this article")
    relevance(mine).get_by_label(f"6 {DASH} Definitely relevant").check()
    newsworthiness(mine).get_by_label(DONT_KNOW).check()
    mine = revise(page)
    expect(mine).to_contain_text(f"You rated relevance 6 and newsworthiness “{DONT_KNOW}”")
    expect(scores).to_contain_text("(4 ratings)")

    # "Don't know" to a newsworthiness of 5, with a comment.
    newsworthiness(mine).get_by_label(f"5 {DASH}").check()
    mine.get_by_label("Comment (optional").fill("Changed my mind.")
    mine = revise(page)
    expect(mine).to_contain_text("You rated relevance 6 and newsworthiness 5")
    expect(newsworthiness(mine).get_by_label(f"5 {DASH}")).to_be_checked()
    expect(mine.get_by_label("Comment (optional")).to_have_value("Changed my mind.")

    # Scores to relevance 1: newsworthiness is no longer asked, nor sent.
    relevance(mine).get_by_label(f"1 {DASH} Definitely not relevant").check()
    expect(newsworthiness(mine)).to_have_count(0)
    mine = revise(page)
    expect(mine).to_contain_text("You rated relevance 1 (newsworthiness is not asked")
    # Relevance 5, 6, 7 and 1: a mean of 4.75, shown as 5.
    expect(scores).to_contain_text("Physician 5 / 7")

    # And back beyond their expertise: the score is the other three's again.
    relevance(mine).get_by_label(BEYOND).check()
    mine = revise(page)
    expect(mine).to_contain_text(f"You answered “{BEYOND}”")
    expect(scores).to_contain_text("Physician 6 / 7")
    expect(scores).to_contain_text("(3 ratings)")
    rating = my_rating(reader, token)
    assert (rating["beyondExpertise"], rating["comment"]) == (True, "Changed my mind.")


def test_a_revision_the_api_refuses_is_shown_in_its_words(page: Page, reader: Reader) -> None:
    token = open_as_rater(page, reader)
    form = page.get_by_role("region", name="Rate this article")
    relevance(form).get_by_label(f"2 {DASH} Probably not relevant").check()
    form.get_by_role("button", name="Submit rating").click()
    expect(page.get_by_role("status").filter(has_text="Rating recorded.")).to_be_visible()

    # The same answers again change nothing, and the API says so.
    mine = page.get_by_role("region", name="Your rating of this article")
    mine.get_by_role("button", name="Revise rating").click()

    expect(mine.get_by_role("alert")).to_have_text(
        "rating: is the same as the active rating (VALIDATION_FAILED)"
    )
    assert my_rating(reader, token)["relevance"] == 2


def test_the_comment_counts_its_characters_against_the_limit(page: Page, reader: Reader) -> None:
    open_as_rater(page, reader)
    form = page.get_by_role("region", name="Rate this article")
    comment = form.get_by_label("Comment (optional")
    expect(form.get_by_text("0 of 1,000 characters")).to_be_visible()

    comment.fill("Worth knowing.")

    expect(form.get_by_text("14 of 1,000 characters")).to_be_visible()
    expect(comment).to_have_attribute("aria-describedby", "rating-comment-count")


def focused_id(page: Page) -> str:
    return str(page.evaluate("document.activeElement.id"))


def test_the_keyboard_alone_fills_and_sends_the_form(page: Page, reader: Reader) -> None:
    token = open_as_rater(page, reader)
    form = page.get_by_role("region", name="Rate this article")
    # From wherever signing in left the focus, on through the page to the form's first choice.
    for _ in range(60):
        if focused_id(page) == "relevance-7":
            break
        page.keyboard.press("Tab")
    assert focused_id(page) == "relevance-7"

    page.keyboard.press("Space")
    expect(newsworthiness(form)).to_be_visible()
    for _ in range(5):
        page.keyboard.press("ArrowDown")  # 7 down to 2: newsworthiness is no longer asked
    expect(newsworthiness(form)).to_have_count(0)
    page.keyboard.press("Tab")
    assert focused_id(page) == "rating-comment"  # the hidden scale is skipped
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("ArrowUp")  # 3: asked again, at once
    expect(newsworthiness(form)).to_be_visible()
    page.keyboard.press("Tab")
    assert focused_id(page) == "newsworthiness-7"
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")  # 6
    page.keyboard.press("Tab")
    page.keyboard.type("Read with the keyboard.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    expect(page.get_by_role("status").filter(has_text="Rating recorded.")).to_be_visible()
    rating = my_rating(reader, token)
    assert (rating["relevance"], rating["newsworthiness"]) == (3, 6)
    assert rating["comment"] == "Read with the keyboard."
