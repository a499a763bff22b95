"""Full-text search over the article view: a query as each backend's engine asks it.

SQLite indexes the folded words (``ledger.domain.search_text``) with FTS5 (tokenizer
unicode61), PostgreSQL with a GIN index over ``to_tsvector('simple', ...)``; both split such a
text at its spaces only. A query is folded and cut as the text was and becomes an AND of its
words, handed to each engine as data (quoted terms, ``plainto_tsquery``), never as query syntax.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, func, literal, select
from sqlalchemy.sql import Subquery

from ledger.domain.citation import DOI_PATTERN, PMID_PATTERN
from ledger.domain.search_text import words
from ledger.read.backends import ReadBackend
from ledger.read.rank import EXACT_RANK

__all__ = ["ranked_hits"]


def ranked_hits(backend: ReadBackend, query: str, articles: Any) -> Subquery | None:
    """The articles ``query`` finds, as (``position``, ``rank_key``): the registration
    position and an integer, higher for a better hit. Every word must occur (in any order);
    a query that is exactly an article's DOI or PMID finds it above any text match. None
    when the query can find nothing (no words and no identifier)."""
    terms = list(dict.fromkeys(words(query)))
    identifier = query.strip()
    parts = []
    if terms:
        parts.append(backend.text_hits(terms, articles))
    exact = []
    if DOI_PATTERN.fullmatch(identifier):
        exact.append(articles.c.doi == identifier)
    if PMID_PATTERN.fullmatch(identifier):
        exact.append(articles.c.pmid == identifier)
    for condition in exact:
        parts.append(
            select(
                articles.c.registered_position.label("position"),
                literal(EXACT_RANK, BigInteger).label("rank_key"),
            ).where(condition)
        )
    if not parts:
        return None
    if len(parts) == 1:
        single: Subquery = parts[0].subquery("hits")
        return single
    union = parts[0].union_all(*parts[1:]).subquery("found")
    hits: Subquery = (
        select(union.c.position, func.max(union.c.rank_key).label("rank_key"))
        .group_by(union.c.position)
        .subquery("hits")
    )
    return hits
