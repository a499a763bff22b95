"""The citation line as the reference service prints it (no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

__all__ = ["citation_line"]

_LISTED_AUTHORS = 3
# MEDLINE's month abbreviations, whatever the process locale says.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def citation_line(
    *,
    title: str,
    authors: Sequence[str],
    journal: str,
    journal_abbreviation: str | None,
    published_on: str | None,
    volume: str | None,
    issue: str | None,
    pages: str | None,
    doi: str | None,
    publication_note: str | None,
) -> str:
    """E.g. ``Her YF, Kubrova E, Martinez Alvarez GA, et al. Title. J Pain Res. 2022 Oct
    20;15:3299-3318. doi: 10.2147/JPR.S373345. eCollection 2022.``"""
    parts = []
    if authors:
        listed = ", ".join(authors[:_LISTED_AUTHORS])
        parts.append(f"{listed}, et al." if len(authors) > _LISTED_AUTHORS else f"{listed}.")
    parts.append(_sentence(title))
    source = f"{journal_abbreviation or journal}."
    locator = (volume or "") + (f"({issue})" if issue else "")
    tail = ";".join(part for part in (_when(published_on), locator) if part)
    if pages:
        tail = f"{tail}:{pages}" if tail else pages
    if tail:
        source += f" {tail}."
    parts.append(source)
    if doi:
        parts.append(f"doi: {doi}.")
    if publication_note:
        parts.append(_sentence(publication_note))
    return " ".join(parts)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else f"{text}."


def _when(published_on: str | None) -> str:
    if not published_on:
        return ""
    day = date.fromisoformat(published_on)
    return f"{day.year} {_MONTHS[day.month - 1]} {day.day}"
