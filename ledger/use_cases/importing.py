"""Importing articles from JSON Lines: one article per line, each line atomic.

A line is a JSON object with the fields ``title``, ``authors`` (list), ``journal``,
``journalAbbreviation``, ``publishedOn`` (YYYY-MM-DD), ``volume``, ``issue``, ``pages``,
``doi``, ``pmid``, ``publicationNote``, ``studyType``, ``abstract``, ``topics`` (list) and,
optionally, ``id``. ``title``, ``journal``, ``studyType``, ``abstract`` and ``topics`` are
required. Each line is registered under an idempotency key made from its content, so
importing a file again changes nothing; a line without an ``id`` gets one made from its
content too, so that another operator's import of it (under keys of their own) is refused as
an article that already exists rather than registered twice.

The file is read line by line as bytes and each line decoded on its own, so one line that is
not UTF-8 (or that starts with a byte order mark) is refused with its number while the others
are imported, and a file of any size is read in constant memory.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, Literal

from ledger.domain import citation
from ledger.domain.commands import RegisterArticle
from ledger.domain.errors import LedgerError, ValidationFailed
from ledger.store.records import Actor
from ledger.use_cases.service import EvidenceLedger

__all__ = [
    "FIELDS",
    "MAX_LINE_BYTES",
    "ImportedLine",
    "decode_line",
    "import_articles",
    "parse_line",
    "read_lines",
]

# The file names each citation field as the API does (``journalAbbreviation``).
FIELDS = {field.camel_name: field.name for field in citation.FIELDS}
REQUIRED = (*(field.camel_name for field in citation.FIELDS if field.required), "topics")
# Refusals name fields as the file does, not as the ledger stores them.
IMPORT_NAMES = {stored: name for name, stored in FIELDS.items()} | {"article_id": "id"}

# Far above any real article (2,000 authors of 300 characters and a long abstract fit), and
# the most memory one line may take.
MAX_LINE_BYTES = 4 * 1024 * 1024
BYTE_ORDER_MARK = b"\xef\xbb\xbf"

Outcome = Literal["imported", "unchanged", "refused"]


@dataclass(frozen=True)
class ImportedLine:
    number: int
    outcome: Outcome
    article_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ParsedArticle:
    article_id: str
    citation: dict[str, Any]
    topics: list[str]
    key: str


def read_lines(stream: BinaryIO, *, limit: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    """The lines of ``stream`` as bytes, one at a time; a line longer than ``limit`` comes
    cut to ``limit + 1`` bytes (the rest is skipped unread into memory), for
    :func:`decode_line` to refuse."""
    while line := stream.readline(limit + 1):
        rest = line
        while not rest.endswith(b"\n") and len(rest) > limit:
            rest = stream.readline(limit + 1)
        yield line


def decode_line(raw: bytes, *, limit: int = MAX_LINE_BYTES) -> str:
    """One line's text, refused when it is too long, starts with a byte order mark or is
    not UTF-8."""
    content = raw.removesuffix(b"\n").removesuffix(b"\r")
    if len(content) > limit:
        raise ValidationFailed("line", f"is longer than {limit:,} bytes")
    if content.startswith(BYTE_ORDER_MARK):
        raise ValidationFailed(
            "line", "starts with a byte order mark (U+FEFF): save the file as UTF-8 without one"
        )
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValidationFailed(
            "line", f"is not UTF-8: byte 0x{content[error.start]:02x} at byte {error.start + 1}"
        ) from None


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
        # Keys are per actor, so another operator's import of the same line is not a retry:
        # an id made from the content makes it the same article, refused as existing.
        article_id=article_id or digest[:16],
        citation={FIELDS[name]: document.get(name) for name in FIELDS},
        topics=document["topics"],
        key=f"import:{digest}",
    )


async def import_articles(
    ledger: EvidenceLedger, lines: Iterable[bytes], *, actor: Actor
) -> AsyncIterator[ImportedLine]:
    """Register each non-blank line's article; yield what became of every line."""
    for number, raw in enumerate(lines, start=1):
        try:
            text = decode_line(raw)
            if not text.strip():
                continue
            parsed = parse_line(text)
            result = await ledger.execute(
                RegisterArticle(
                    article_id=parsed.article_id, citation=parsed.citation, topics=parsed.topics
                ),
                actor=actor,
                idempotency_key=parsed.key,
            )
        except ValidationFailed as refusal:
            field = IMPORT_NAMES.get(refusal.field, refusal.field)
            yield ImportedLine(number, "refused", reason=f"{field}: {refusal.reason}")
            continue
        except LedgerError as refusal:
            yield ImportedLine(number, "refused", reason=str(refusal))
            continue
        outcome: Outcome = "unchanged" if result.replayed else "imported"
        yield ImportedLine(number, outcome, result.article_id)
