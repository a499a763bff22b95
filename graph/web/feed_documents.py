"""A discipline's feed written as Atom (RFC 4287) and as JSON Feed 1.1.

Every text goes through the XML writer, which escapes ``<``, ``&`` and ``>`` (so ``]]>`` too);
characters XML 1.0 cannot carry at all (most control characters, U+FFFE, U+FFFF), which the
ledger may hold in a title, are shown as U+FFFD, since no escaping makes them valid XML.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote
from xml.etree import ElementTree

from ledger.read.feeds import DisciplineFeed, FeedEntry

__all__ = ["ATOM_MEDIA_TYPE", "JSON_FEED_MEDIA_TYPE", "FeedAddresses", "atom", "json_feed"]

ATOM_MEDIA_TYPE = "application/atom+xml"
JSON_FEED_MEDIA_TYPE = "application/feed+json"
ATOM = "http://www.w3.org/2005/Atom"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
PUBLISHER = "Evidence ledger"
# An empty feed has no entry to date it: the start of the epoch, the same on every replay.
NEVER = datetime(1970, 1, 1, tzinfo=UTC)
_NOT_IN_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class FeedAddresses:
    """Where the feed and the reader's pages are, as the client reached the service."""

    base: str  # "https://host/" (ending with a slash)
    feed: str  # this feed's own address

    def article(self, article_id: str) -> str:
        return f"{self.base}articles/{quote(article_id, safe='')}"

    def list_page(self, discipline: str) -> str:
        return f"{self.base}?discipline={quote(discipline, safe='')}"


def entry_id(feed: DisciplineFeed, entry: FeedEntry) -> str:
    """Stable whatever happens: the article and the discipline, never a time or position."""
    return f"urn:evidence-ledger:{entry.article.article_id}:{quote(feed.key, safe='')}"


def feed_title(feed: DisciplineFeed) -> str:
    return f"{PUBLISHER}: articles newly scored by {feed.discipline} raters"


def score_line(feed: DisciplineFeed, entry: FeedEntry) -> str:
    """ "Physician 6 / 7", as the reader's page shows a discipline's score."""
    return f"{feed.discipline} {entry.score.score} / {entry.score.out_of}"


def instant(moment: datetime) -> str:
    """RFC 3339 in UTC, as both formats want it."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def updated(feed: DisciplineFeed) -> datetime:
    return feed.entries[0].entered_at if feed.entries else NEVER


def _text(value: str) -> str:
    return _NOT_IN_XML.sub("\ufffd", value)


def _element(
    parent: ElementTree.Element, tag: str, text: str | None = None, **attributes: str
) -> ElementTree.Element:
    child = ElementTree.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
    if text is not None:
        child.text = _text(text)
    return child


def _atom_entry(
    root: ElementTree.Element, feed: DisciplineFeed, entry: FeedEntry, where: FeedAddresses
) -> None:
    element = _element(root, "entry")
    _element(element, "id", entry_id(feed, entry))
    _element(element, "title", entry.article.citation.title)
    _element(element, "updated", instant(entry.entered_at))
    _element(
        element,
        "link",
        rel="alternate",
        type="text/html",
        href=where.article(entry.article.article_id),
    )
    _element(element, "summary", score_line(feed, entry))
    content = f"{entry.article.citation.line}\n{score_line(feed, entry)}"
    _element(element, "content", content, type="text")


def atom(feed: DisciplineFeed, where: FeedAddresses) -> bytes:
    ElementTree.register_namespace("", ATOM)
    root = ElementTree.Element(f"{{{ATOM}}}feed")
    _element(root, "id", f"urn:evidence-ledger:feed:{quote(feed.key, safe='')}")
    _element(root, "title", feed_title(feed))
    _element(root, "updated", instant(updated(feed)))
    author = _element(root, "author")
    _element(author, "name", PUBLISHER)
    _element(root, "link", rel="self", type=ATOM_MEDIA_TYPE, href=where.feed)
    _element(root, "link", rel="alternate", type="text/html", href=where.list_page(feed.discipline))
    for entry in feed.entries:
        _atom_entry(root, feed, entry, where)
    document: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def json_feed(feed: DisciplineFeed, where: FeedAddresses) -> bytes:
    document = {
        "version": JSON_FEED_VERSION,
        "title": feed_title(feed),
        "home_page_url": where.list_page(feed.discipline),
        "feed_url": where.feed,
        "authors": [{"name": PUBLISHER}],
        "items": [
            {
                "id": entry_id(feed, entry),
                "url": where.article(entry.article.article_id),
                "title": entry.article.citation.title,
                "summary": score_line(feed, entry),
                "content_text": f"{entry.article.citation.line}\n{score_line(feed, entry)}",
                "date_published": instant(entry.entered_at),
            }
            for entry in feed.entries
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode()
