"""The sample article's page, and the list, as a reader sees them in Chromium."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, PHONE, SEED_ARTICLE, Reader
from tests.browser.seed_record import folded, seed_items


def open_article(page: Page, reader: Reader, article: str = SEED_ARTICLE) -> None:
    page.goto(reader.url(f"/articles/{article}"))
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Article")
    expect(page.get_by_role("heading", name="Discipline Area Score")).to_be_visible()


def test_the_sample_article_shows_every_item_of_the_reference_record(
    page: Page, shared_reader: Reader
) -> None:
    open_article(page, shared_reader)
    shown = folded(page.locator("main").inner_text())

    missing = [item for item in seed_items() if item not in shown]

    assert not missing, f"not on the page: {missing}"
    assert not re.search(r"\b(null|undefined|NaN|object Object)\b", shown), shown
    assert len(seed_items()) == 16  # a folded record would check nothing
    expect(page.get_by_role("heading", name="Physician rater")).to_have_count(3)
    for topic in ("Back Pain", "Chronic Low Back Pain"):
        expect(page.get_by_role("link", name=topic, exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Comments from subscribers")).to_be_visible()


def test_a_topic_link_leads_to_a_list_holding_the_article(
    page: Page, shared_reader: Reader
) -> None:
    open_article(page, shared_reader)

    page.get_by_role("link", name="Chronic Low Back Pain", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Articles about Chronic Low Back Pain"
    )
    expect(page.get_by_role("combobox", name="Topic")).to_have_value("Chronic Low Back Pain")
    listed = page.get_by_role("link", name="The Analgesic Efficacy of Intradiscal Injection")
    expect(listed).to_be_visible()
    listed.click()
    expect(page).to_have_url(shared_reader.url(f"/articles/{SEED_ARTICLE}"))


def test_the_list_filters_by_search_and_minimum_score(page: Page, shared_reader: Reader) -> None:
    page.goto(shared_reader.url("/"))
    expect(page.get_by_role("status").filter(has_text="article")).to_have_text("1 article")

    page.get_by_role("searchbox", name="Search").fill("Kubrova")
    page.get_by_role("combobox", name="Minimum score").select_option("6")
    page.get_by_role("button", name="Show articles").click()
    expect(page.get_by_role("link", name="The Analgesic Efficacy of Intradiscal")).to_be_visible()

    page.get_by_role("combobox", name="Minimum score").select_option("7")
    page.get_by_role("button", name="Show articles").click()
    expect(page.get_by_text("No article matches these filters.")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="article")).to_have_text("0 articles")


def test_screenshots_of_the_article_and_the_list_at_desktop_and_phone_width(
    page: Page, shared_reader: Reader, screenshots: Path
) -> None:
    for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        open_article(page, shared_reader)
        page.screenshot(path=screenshots / f"article-{width}.png", full_page=True)
        page.goto(shared_reader.url("/"))
        expect(page.get_by_role("link", name="The Analgesic Efficacy")).to_be_visible()
        page.screenshot(path=screenshots / f"list-{width}.png", full_page=True)
        # Nothing is wider than the screen: a phone reader never scrolls sideways.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{width}: the list is {overflow}px wider than the screen"

    for name in ("article-desktop", "article-phone", "list-desktop", "list-phone"):
        assert (screenshots / f"{name}.png").stat().st_size > 10_000
