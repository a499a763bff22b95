"""The list filtered by a discipline offers that discipline's feeds, and they answer."""

from __future__ import annotations

from xml.etree import ElementTree

from playwright.sync_api import Page, expect

from tests.browser.conftest import SEED_ARTICLE, Reader


def test_a_list_filtered_by_discipline_links_its_feeds(page: Page, shared_reader: Reader) -> None:
    page.goto(shared_reader.url("/?discipline=Physician"))
    expect(page.get_by_role("link", name="Atom feed")).to_be_visible()

    atom = page.locator('head link[rel="alternate"][type="application/atom+xml"]')
    expect(atom).to_have_attribute("href", "/feeds/physician.atom")
    json_feed = page.locator('head link[rel="alternate"][type="application/feed+json"]')
    expect(json_feed).to_have_attribute("href", "/feeds/physician.json")
    feed = shared_reader.client.get(shared_reader.url("/feeds/physician.atom"))
    assert feed.status_code == 200
    entries = ElementTree.fromstring(feed.content).findall("{http://www.w3.org/2005/Atom}entry")
    assert [e.findtext("{http://www.w3.org/2005/Atom}id") for e in entries] == [
        f"urn:evidence-ledger:{SEED_ARTICLE}:physician"
    ]


def test_an_unfiltered_list_offers_no_feed(page: Page, shared_reader: Reader) -> None:
    page.goto(shared_reader.url("/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Articles")

    expect(page.locator('head link[rel="alternate"]')).to_have_count(0)
    expect(page.get_by_role("link", name="Atom feed")).to_have_count(0)
