"""A verifiable export of the ledger, and its verification with no database at all.

The file is JSON Lines. The first line is a header naming the position the export starts
after and the hash there; then one line per event, the event's canonical document (see
``ledger.store.canonical``) with its ``hash`` added; the last line is a footer with the count and
the last hash. Anyone can recompute every hash from the file alone, and compare the last
one with the head hash the service reports: a truncated, reordered or edited file is named
at its first bad line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, Any

from sqlalchemy import select

from ledger.audit.chain import row_bytes
from ledger.domain.wording import with_article
from ledger.store.canonical import GENESIS_HASH, canonical_json, chain_hash
from ledger.store.db import snapshot
from ledger.store.sql_store import SQLEventStore
from ledger.store.tables import events, ledger_head

__all__ = ["FORMAT", "ExportReport", "FileReport", "export_ledger", "verify_export"]

FORMAT = "evidence-ledger-export"
VERSION = 1
PAGE = 5000


@dataclass(frozen=True)
class ExportReport:
    events: int
    first_position: int | None
    last_position: int
    head_hash: str


@dataclass(frozen=True)
class FileReport:
    ok: bool
    events: int
    last_position: int | None
    head_hash: str | None
    bad_line: int | None = None
    reason: str | None = None


async def export_ledger(
    store: SQLEventStore,
    out: IO[str],
    *,
    after: int = 0,
    progress: Callable[[int], None] | None = None,
) -> ExportReport:
    """Write every event after ``after`` up to the head, as one snapshot sees them."""
    count, first = 0, None
    async with snapshot(store.engine) as conn:
        head = (await conn.execute(select(ledger_head))).one()
        if after < 0 or after > head.position:
            raise ValueError(f"--after must be from 0 to the head position {head.position}")
        previous = (
            GENESIS_HASH
            if after == 0
            else await conn.scalar(select(events.c.hash).where(events.c.position == after))
        )
        header = {"format": FORMAT, "version": VERSION, "after": after, "previous_hash": previous}
        out.write(canonical_json(header) + "\n")
        position, last_hash = after, str(previous)
        while position < head.position:
            rows = (
                await conn.execute(
                    select(events)
                    .where(events.c.position > position, events.c.position <= head.position)
                    .order_by(events.c.position)
                    .limit(PAGE)
                )
            ).all()
            if not rows:
                break
            for row in rows:
                # "hash" sorts before every other key: prefixing it keeps the line canonical.
                canonical = row_bytes(row, check_payload=False).decode()
                out.write(f'{{"hash":"{row.hash}",{canonical[1:]}\n')
                first = first or row.position
                last_hash = row.hash
            count += len(rows)
            position = rows[-1].position
            if progress is not None:
                progress(len(rows))
        footer = {"end": True, "events": count, "last_position": position, "last_hash": last_hash}
        out.write(canonical_json(footer) + "\n")
    return ExportReport(count, first, position, last_hash)


def verify_export(
    lines: Iterable[str], progress: Callable[[int], None] | None = None
) -> FileReport:
    """Recompute the chain of an export; name the first line that does not hold."""
    numbered = enumerate(lines, start=1)
    checker = _Checker()
    for number, text in numbered:
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            return checker.bad(number, f"not JSON: {error.msg}")
        if not isinstance(document, dict):
            return checker.bad(number, "not a JSON object")
        problem = checker.take(number, document)
        if problem is not None:
            return checker.bad(number, problem)
        if progress is not None and number % 10000 == 0:
            progress(10000)
        if checker.ended:
            extra = next(numbered, None)
            if extra is not None:
                return checker.bad(extra[0], "lines follow the footer")
            return FileReport(True, checker.count, checker.position, checker.previous)
    if checker.previous is None:
        return checker.bad(1, "the file is empty: no header")
    return checker.bad(checker.lines + 1, "the file ends before its footer: it is truncated")


class _Checker:
    def __init__(self) -> None:
        self.previous: str | None = None
        self.position: int | None = None
        self.count = 0
        self.lines = 0
        self.ended = False

    def bad(self, line: int, reason: str) -> FileReport:
        return FileReport(False, self.count, self.position, self.previous, line, reason)

    def take(self, number: int, document: dict[str, Any]) -> str | None:
        self.lines = number
        if self.previous is None:
            return self._header(document)
        if document.get("end") is True:
            return self._footer(document)
        return self._event(document)

    def _header(self, document: dict[str, Any]) -> str | None:
        if document.get("format") != FORMAT or document.get("version") != VERSION:
            return f"the first line is not {with_article(FORMAT)} header (version {VERSION})"
        after, previous = document.get("after"), document.get("previous_hash")
        if not isinstance(after, int) or not isinstance(previous, str) or len(previous) != 64:
            return "the header lacks its starting position or hash"
        self.position, self.previous = after, previous
        return None

    def _event(self, document: dict[str, Any]) -> str | None:
        assert self.previous is not None
        assert self.position is not None
        stated = document.pop("hash", None)
        if document.get("position") != self.position + 1:
            return (
                f"expected position {self.position + 1}, found {document.get('position')!r}: "
                "events are missing or out of order"
            )
        try:
            recomputed = chain_hash(self.previous, canonical_json(document).encode())
        except (TypeError, ValueError) as error:
            return f"the event cannot be read: {error}"
        if recomputed != stated:
            return f"the hash of position {self.position + 1} does not match its contents"
        self.position, self.previous = self.position + 1, recomputed
        self.count += 1
        return None

    def _footer(self, document: dict[str, Any]) -> str | None:
        expected = {
            "end": True,
            "events": self.count,
            "last_position": self.position,
            "last_hash": self.previous,
        }
        if document != expected:
            return "the footer does not match the events before it"
        self.ended = True
        return None
