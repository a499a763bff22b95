"""Importing articles from JSON Lines: one article per line, each line atomic.

A line is a JSON object with the fields ``title``, ``authors`` (list), ``journal``,
``journalAbbreviation``, ``publishedOn`` (YYYY-MM-DD), ``volume``, ``issue``, ``pages``,
``doi``, ``pmid``, ``publicationNote``, ``studyType``, ``abstract``, ``topics`` (list) and,
optionally, ``id``. ``title``, ``journal``, ``studyType``, ``abstract`` and ``topics`` are
required. Each line is registered under an idempotency key made from its content, so
importing a file again changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from ledger.errors import LedgerError, ValidationFailed
from ledger.records import Actor
from ledger.service import EvidenceLedger

__all__ = ["FIELDS", "ImportedLine", "import_articles", "parse_line"]

FIELDS = {
    "title": "title",
    "authors": "authors",
    "journal": "journal",
    "journalAbbreviation": "journal_abbreviation",
    "publishedOn": "published_on",
    "volume": "volume",
    "issue": "issue",
    "pages": "pages",
    "doi": "doi",
    "pmid": "pmid",
    "publicationNote": "publication_note",
    "studyType": "study_type",
    "abstract": "abstract",
}
REQUIRED = ("title", "journal", "studyType", "abstract", "topics")

Outcome = Literal["imported", "unchanged", "refused"]


@dataclass(frozen=True)
class ImportedLine:
    number: int
    outcome: Outcome
    article_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ParsedArticle:
    article_id: str | None
    citation: dict[str, Any]
    topics: list[str]
    key: str


def parse_line(text: str) -> ParsedArticle:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValidationFailed(
            "line", f"is not JSON: {error.msg} at column {error.colno}"
        ) from None
    if not isinstance(document, dict):
        raise ValidationFailed("line", "must be a JSON object")
    unknown = set(document) - set(FIELDS) - {"id", "topics"}
    if unknown:
        raise ValidationFailed(sorted(unknown)[0], "is not a field of an article")
    missing = [name for name in REQUIRED if document.get(name) in (None, "")]
    if missing:
        raise ValidationFailed(missing[0], "is required")
    article_id = document.get("id")
    if article_id is not None and not isinstance(article_id, str):
        raise ValidationFailed("id", "must be text")
    digest = hashlib.sha256(
        json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    return ParsedArticle(
        article_id=article_id,
        citation={FIELDS[name]: document.get(name) for name in FIELDS},
        topics=document["topics"],
        key=f"import:{digest}",
    )


async def import_articles(
    ledger: EvidenceLedger, lines: Iterable[str], *, actor: Actor
) -> AsyncIterator[ImportedLine]:
    """Register each non-blank line's article; yield what became of every line."""
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            parsed = parse_line(text)
            result = await ledger.register_article(
                article_id=parsed.article_id,
                citation=parsed.citation,
                topics=parsed.topics,
                actor=actor,
                idempotency_key=parsed.key,
            )
        except LedgerError as refusal:
            yield ImportedLine(number, "refused", reason=str(refusal))
            continue
        article_id = result.stream_id.partition(":")[2]
        yield ImportedLine(number, "unchanged" if result.replayed else "imported", article_id)
