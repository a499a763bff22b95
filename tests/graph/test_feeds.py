"""The public feeds over HTTP: Atom and JSON Feed of the articles whose discipline score newly
shows, with what a feed reader needs, following ratings, withdrawals and retractions."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree

import httpx

from ledger.domain.commands import RetractArticle, WithdrawRating
from ledger.replay.rebuild import rebuild
from ledger.store.records import Actor
from tests.graph.conftest import Api
from tests.graph.helpers import EDITOR, SAMPLE_ID, counting_statements, enrol, rate, register

ATOM = "{http://www.w3.org/2005/Atom}"
RATERS = ("feed-physician-1", "feed-physician-2", "feed-physician-3")


async def atom_feed(api: Api, discipline: str = "physician") -> ElementTree.Element:
    response = await api.client.get(f"/feeds/{discipline}.atom")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    return ElementTree.fromstring(response.content)


async def json_feed(api: Api, discipline: str = "physician") -> dict[str, Any]:
    response = await api.client.get(f"/feeds/{discipline}.json")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/feed+json; charset=utf-8"
    document: dict[str, Any] = json.loads(response.content)
    return document


def atom_articles(feed: ElementTree.Element) -> list[str]:
    """The articles of the feed's entries, in order, from their links to the reader's page."""
    return [
        entry.find(f"{ATOM}link[@rel='alternate']").get("href", "").rpartition("/")[2]  # type: ignore[union-attr]
        for entry in feed.findall(f"{ATOM}entry")
    ]


async def feed_articles(api: Api, discipline: str = "physician") -> list[str]:
    """The articles of both feeds, which must agree."""
    in_atom = atom_articles(await atom_feed(api, discipline))
    in_json = [
        item["url"].rpartition("/")[2] for item in (await json_feed(api, discipline))["items"]
    ]
    assert in_atom == in_json
    return in_atom


async def rated_article(api: Api, title: str, ratings: int = 3) -> str:
    article_id = await register(api, title, ["Back Pain"])
    for rater_id in RATERS[:ratings]:
        await rate(api, article_id, rater_id, 6, 5)
    return article_id


async def enrol_raters(api: Api) -> None:
    for rater_id in RATERS:
        await enrol(api, rater_id, "Physician")


async def test_the_atom_feed_has_what_atom_requires_and_each_entry_what_a_reader_needs(
    api: Api,
) -> None:
    feed = await atom_feed(api)

    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id", "").startswith("urn:evidence-ledger:")
    assert "Physician" in feed.findtext(f"{ATOM}title", "")
    assert feed.findtext(f"{ATOM}updated")
    assert feed.findtext(f"{ATOM}author/{ATOM}name")
    [self_link] = feed.findall(f"{ATOM}link[@rel='self']")
    assert self_link.get("href") == "http://test/feeds/physician.atom"
    [entry] = feed.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}id") == f"urn:evidence-ledger:{SAMPLE_ID}:physician"
    assert entry.findtext(f"{ATOM}title", "").startswith("The Analgesic Efficacy")
    assert entry.findtext(f"{ATOM}summary") == "Physician 6 / 7"
    content = entry.findtext(f"{ATOM}content", "")
    assert "Physician 6 / 7" in content
    assert "doi:" in content.lower()  # the citation line
    [link] = entry.findall(f"{ATOM}link[@rel='alternate']")
    assert link.get("href") == f"http://test/articles/{SAMPLE_ID}"


async def test_the_json_feed_has_json_feeds_required_fields(api: Api) -> None:
    feed = await json_feed(api)

    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert "Physician" in feed["title"]
    assert feed["feed_url"] == "http://test/feeds/physician.json"
    [item] = feed["items"]
    assert item["id"] == f"urn:evidence-ledger:{SAMPLE_ID}:physician"
    assert item["url"] == f"http://test/articles/{SAMPLE_ID}"
    assert item["summary"] == "Physician 6 / 7"
    assert item["content_text"].endswith("\nPhysician 6 / 7")
    assert item["date_published"].endswith("Z")


async def test_an_article_enters_with_its_last_needed_rating_and_leaves_when_it_drops_below(
    api: Api,
) -> None:
    await enrol_raters(api)
    article_id = await rated_article(api, "A trial of exercise", ratings=2)
    assert await feed_articles(api) == [SAMPLE_ID]

    await rate(api, article_id, RATERS[2], 7, 7)
    assert await feed_articles(api) == [article_id, SAMPLE_ID]  # newest first
    entered = (await json_feed(api))["items"][0]["date_published"]

    withdrawal = WithdrawRating(article_id, RATERS[0])
    await api.services.ledger.execute(withdrawal, actor=Actor(RATERS[0], "rater"))
    assert await feed_articles(api) == [SAMPLE_ID]

    # Rated again, it enters anew: at the moment of the rating that brought it back.
    await rate(api, article_id, RATERS[0], 5, 5)
    assert await feed_articles(api) == [article_id, SAMPLE_ID]
    assert (await json_feed(api))["items"][0]["date_published"] > entered


async def test_a_retracted_article_leaves_the_feed(api: Api) -> None:
    retraction = RetractArticle(SAMPLE_ID, "Data fabricated")
    await api.services.ledger.execute(retraction, actor=EDITOR)

    assert await feed_articles(api) == []
    assert (await atom_feed(api)).findtext(f"{ATOM}updated") == "1970-01-01T00:00:00Z"


async def test_a_rebuild_gives_the_same_feed_byte_for_byte(api: Api) -> None:
    await enrol_raters(api)
    await rated_article(api, "A cohort of runners")
    before = [(await api.client.get(f"/feeds/physician.{kind}")) for kind in ("atom", "json")]

    await rebuild(api.services.store)

    after = [(await api.client.get(f"/feeds/physician.{kind}")) for kind in ("atom", "json")]
    assert [r.content for r in after] == [r.content for r in before]
    assert [r.headers["etag"] for r in after] == [r.headers["etag"] for r in before]


async def test_a_hostile_title_stays_valid_xml(api: Api) -> None:
    await enrol_raters(api)
    title = 'Pain <b>&amp; "gain"</b> ]]> \x01\x08\x0b\x1f\ufffe end'
    await rated_article(api, title)

    feed = await atom_feed(api)  # parses: the document is well-formed

    shown = feed.find(f"{ATOM}entry").findtext(f"{ATOM}title")  # type: ignore[union-attr]
    assert shown == 'Pain <b>&amp; "gain"</b> ]]> \ufffd\ufffd\ufffd\ufffd\ufffd end'
    item = (await json_feed(api))["items"][0]
    assert item["title"] == title


async def test_a_matching_etag_is_answered_304_and_a_change_gives_a_new_tag(api: Api) -> None:
    first = await api.client.get("/feeds/physician.atom")
    assert first.headers["cache-control"] == "public, no-cache"

    again = await api.client.get(
        "/feeds/physician.atom", headers={"if-none-match": first.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.content == b""

    await enrol_raters(api)
    await rated_article(api, "A change to the feed")
    changed = await api.client.get(
        "/feeds/physician.atom", headers={"if-none-match": first.headers["etag"]}
    )
    assert changed.status_code == 200
    assert changed.headers["etag"] != first.headers["etag"]


async def test_an_unknown_discipline_has_no_feed(api: Api) -> None:
    for path in ("/feeds/astrologer.atom", "/feeds/astrologer.json"):
        response = await api.client.get(path)
        assert response.status_code == 404


async def test_a_feed_is_found_by_any_spelling_of_the_discipline(api: Api) -> None:
    response = await api.client.get("/feeds/PHYSICIAN.json")
    assert response.status_code == 200
    assert isinstance(response, httpx.Response)
    assert response.json()["feed_url"] == "http://test/feeds/physician.json"


async def test_a_feed_is_read_again_only_once_the_ledger_moved(api: Api) -> None:
    first = await api.client.get("/feeds/physician.json")
    with counting_statements(api) as unchanged:
        again = await api.client.get("/feeds/physician.json")
    assert again.content == first.content
    # Only the head is read (SQLite's snapshot may add its BEGIN): not the feed's query.
    assert not any("rating_versions" in statement for statement in unchanged)

    await enrol_raters(api)
    await rated_article(api, "What moved the head")
    with counting_statements(api) as moved:
        changed = await api.client.get("/feeds/physician.json")
    assert any("rating_versions" in statement for statement in moved)
    assert len(changed.json()["items"]) == 2
