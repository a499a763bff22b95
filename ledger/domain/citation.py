"""The citation: its fields, their checks and the line the reference service prints (no I/O).

One definition that the API inputs, the JSON Lines import format, the article stream and the
views all read, so a field added or checked here is added or checked everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ledger.domain.errors import ValidationFailed
from ledger.domain.validation import (
    check_date,
    check_optional_text,
    check_text,
    check_texts,
)

__all__ = [
    "CITATION_FIELDS",
    "DOI_PATTERN",
    "FIELDS",
    "PMID_PATTERN",
    "CitationField",
    "camel_case",
    "check_citation",
    "citation_line",
]


@dataclass(frozen=True)
class CitationField:
    """A citation field as the ledger stores it; ``required`` ones must be given at
    registration."""

    name: str
    required: bool = False

    @property
    def camel_name(self) -> str:
        """The name clients spell it with (GraphQL, the import format)."""
        return camel_case(self.name)


# In the order a citation is read (and the order refusals of missing fields are reported).
FIELDS = (
    CitationField("title", required=True),
    CitationField("authors"),
    CitationField("journal", required=True),
    CitationField("journal_abbreviation"),
    CitationField("published_on"),
    CitationField("volume"),
    CitationField("issue"),
    CitationField("pages"),
    CitationField("doi"),
    CitationField("pmid"),
    CitationField("publication_note"),
    CitationField("study_type", required=True),
    CitationField("abstract", required=True),
)
CITATION_FIELDS = tuple(f.name for f in FIELDS)

# A DOI and a PMID as their registries issue them: ASCII digits only (``\d`` would take any
# script's, "1٢٣", which no registry issues and search never matches). Registration and
# search (``ledger.domain.search_text``) both read these.
DOI_PATTERN = re.compile(r"10\.[0-9]{4,9}/\S{1,200}")
PMID_PATTERN = re.compile(r"[1-9][0-9]{0,9}")
_LISTED_AUTHORS = 3
# MEDLINE's month abbreviations, whatever the process locale says.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def check_citation(citation: Mapping[str, Any]) -> dict[str, Any]:
    """Every field of a whole citation, checked and as stored (trimmed; blank is none)."""
    doi = check_optional_text("doi", citation["doi"], limit=220)
    if doi is not None and not DOI_PATTERN.fullmatch(doi):
        raise ValidationFailed("doi", "must look like 10.NNNN/suffix")
    pmid = check_optional_text("pmid", citation["pmid"], limit=10)
    if pmid is not None and not PMID_PATTERN.fullmatch(pmid):
        raise ValidationFailed("pmid", "must be a PubMed id: digits only")
    # Authors are an ordered list, not a set: two people may share a name.
    authors = check_texts(
        "authors", citation["authors"] or [], limit=300, most=2000, distinct=False
    )
    return {
        "title": check_text("title", citation["title"], limit=1000),
        "authors": authors,
        "journal": check_text("journal", citation["journal"], limit=300),
        "journal_abbreviation": check_optional_text(
            "journal_abbreviation", citation["journal_abbreviation"], limit=100
        ),
        "published_on": check_date("published_on", citation["published_on"]),
        "volume": check_optional_text("volume", citation["volume"], limit=50),
        "issue": check_optional_text("issue", citation["issue"], limit=50),
        "pages": check_optional_text("pages", citation["pages"], limit=50),
        "doi": doi,
        "pmid": pmid,
        "publication_note": check_optional_text(
            "publication_note", citation["publication_note"], limit=300
        ),
        "study_type": check_text("study_type", citation["study_type"], limit=100),
        "abstract": check_text("abstract", citation["abstract"], limit=20000),
    }


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
