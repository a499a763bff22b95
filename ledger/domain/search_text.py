"""The one text folding of search, and the words an article is found by (no I/O).

Both backends must give the same hits, so neither engine's own notion of case, accents or
words is trusted: the text is folded once here (compatibility decomposition, marks dropped,
case folded) and cut into words here, and the engines see only those words, one space apart.
A query is folded and cut the same way (``ledger.read.search``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from ledger.domain.citation import DOI_PATTERN, PMID_PATTERN

__all__ = ["MAX_WORD", "can_find", "fold", "search_text", "words"]

# PostgreSQL refuses to index a word of more than 2,047 bytes; longer words are left out on
# both backends alike. No real word comes near.
MAX_WORD = 200
_WORD = re.compile(r"[^\W_]+")
_NOT_ASCII = re.compile(r"[^\x00-\x7f]+")  # where a mark can be: ASCII has none
# The article view's text columns a search reads (its authors too, a JSON list).
_SEARCHED = ("title", "abstract", "journal", "journal_abbreviation")


def fold(text: str) -> str:
    """The one definition of "the same letters" for search: ``É``, ``é`` and ``e`` are one.
    Every mark goes (not only the accents that combine with a letter before them), so no
    script's vowel signs cut its words in two."""
    if text.isascii():
        # Nothing to decompose and no marks: most abstracts, folded at C speed (a replay
        # folds every article it registers).
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return _NOT_ASCII.sub(_without_marks, decomposed).casefold()


def _without_marks(run: re.Match[str]) -> str:
    return "".join(ch for ch in run[0] if not unicodedata.category(ch).startswith("M"))


def words(text: str) -> list[str]:
    """The folded words of ``text``: runs of letters and digits, in order."""
    return [word for word in _WORD.findall(fold(text)) if len(word) <= MAX_WORD]


def search_text(row: Mapping[str, Any]) -> str:
    """What the engines index of an article view row: the folded words of its title,
    abstract, journal and authors."""
    parts = [row[name] or "" for name in _SEARCHED]
    parts += json.loads(row["authors"])
    return " ".join(words("\n".join(parts)))


def can_find(query: str) -> bool:
    """Whether ``query`` has anything to look for: a word, or a DOI or PMID as a whole (as
    registration accepts them)."""
    identifier = query.strip()
    return bool(words(query)) or bool(
        DOI_PATTERN.fullmatch(identifier) or PMID_PATTERN.fullmatch(identifier)
    )
