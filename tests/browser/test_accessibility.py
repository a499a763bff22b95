"""axe-core, run in the page, finds nothing serious or critical on the reader's pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DESKTOP, PHONE, SEED_ARTICLE, Reader
from tests.browser.test_actions import DASH, sign_in

# axe-core 4.14.1 from the npm registry (MPL-2.0), shipped with the tests: nothing is fetched.
AXE = Path(__file__).parent / "axe.min.js"


@pytest.fixture(params=[DESKTOP, PHONE], ids=["desktop", "phone"])
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    # The page's content security policy admits only its own scripts: let axe in for the test.
    context = browser.new_context(viewport=request.param, bypass_csp=True)
    try:
        yield context.new_page()
    finally:
        context.close()


def serious_violations(page: Page) -> list[str]:
    page.add_script_tag(path=AXE)
    violations = page.evaluate(
        "async () => (await axe.run(document)).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map(n => n.target).join(', ')}`)"
    )
    return list(violations)


def test_the_article_list_has_no_serious_violations(page: Page, shared_reader: Reader) -> None:
    page.goto(shared_reader.url("/"))
    expect(page.get_by_role("link", name="The Analgesic Efficacy")).to_be_visible()

    assert serious_violations(page) == []


def test_the_article_page_with_the_rating_form_has_no_serious_violations(
    page: Page, shared_reader: Reader
) -> None:
    page.goto(shared_reader.url(f"/articles/{SEED_ARTICLE}"))
    sign_in(page, shared_reader.token("rater", "--rater", "sample-physician-4"))
    expect(page.get_by_role("button", name="Submit rating")).to_be_visible()

    assert serious_violations(page) == []


def test_the_whole_rating_form_open_has_no_serious_violations(
    page: Page, shared_reader: Reader
) -> None:
    page.goto(shared_reader.url(f"/articles/{SEED_ARTICLE}"))
    sign_in(page, shared_reader.token("rater", "--rater", "sample-physician-4"))
    form = page.get_by_role("region", name="Rate this article")
    # Relevance above 2: newsworthiness is asked too, with its "don't know".
    form.get_by_label(f"3 {DASH} Possibly not relevant").check()
    form.get_by_label("I don't know if this is newsworthy").check()
    form.get_by_label("Comment (optional").fill("Counted as it is typed.")
    expect(form.get_by_text("23 of 1,000 characters")).to_be_visible()

    assert serious_violations(page) == []


def test_the_article_page_with_the_comment_form_has_no_serious_violations(
    page: Page, shared_reader: Reader
) -> None:
    page.goto(shared_reader.url(f"/articles/{SEED_ARTICLE}"))
    sign_in(page, shared_reader.token("subscriber", "--name", "Dr Access"))
    expect(page.get_by_role("button", name="Post comment")).to_be_visible()

    assert serious_violations(page) == []


def test_the_list_filtered_by_discipline_with_its_feed_links_has_no_serious_violations(
    page: Page, shared_reader: Reader
) -> None:
    page.goto(shared_reader.url("/?discipline=Physician"))
    expect(page.get_by_role("link", name="Atom feed")).to_be_visible()

    assert serious_violations(page) == []


def test_the_article_page_with_a_raters_own_rating_has_no_serious_violations(
    page: Page, shared_reader: Reader
) -> None:
    page.goto(shared_reader.url(f"/articles/{SEED_ARTICLE}"))
    sign_in(page, shared_reader.token("rater", "--rater", "sample-physician-1"))
    expect(page.get_by_role("button", name="Withdraw rating")).to_be_visible()

    assert serious_violations(page) == []
