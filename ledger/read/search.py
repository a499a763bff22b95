"""Full-text search over the article view: a query as each backend's engine asks it.

SQLite indexes the folded words (``ledger.domain.search_text``) with FTS5 (tokenizer
unicode61), PostgreSQL with a GIN index over ``to_tsvector('simple', ...)``; both split such a
text at its spaces only. A query is folded and cut as the text was and becomes an AND of its
words, handed to each engine as data (quoted terms, ``plainto_tsquery``), never as query syntax.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, cast, func, literal, literal_column, select, table
from sqlalchemy.sql import Subquery

from ledger.domain.search_text import DOI_QUERY, PMID_QUERY, words
from ledger.projections.search_index import INDEX_NAME

__all__ = ["RANK_LIMIT", "ranked_hits"]

# Rank keys are integers in [0, RANK_LIMIT): a relevance scaled to millionths, with
# exact identifier matches above every text match.
RANK_SCALE = 1_000_000
RANK_LIMIT = 2**62
EXACT_RANK = RANK_LIMIT - 1


def _fts5_query(terms: list[str]) -> str:
    """FTS5's AND of ``terms``, each a quoted string (so nothing in it is syntax)."""
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def ranked_hits(dialect: str, query: str, articles: Any) -> Subquery | None:
    """The articles ``query`` finds, as (``position``, ``rank_key``): the registration
    position and an integer, higher for a better hit. Every word must occur (in any order);
    a query that is exactly an article's DOI or PMID finds it above any text match. None
    when the query can find nothing (no words and no identifier)."""
    terms = list(dict.fromkeys(words(query)))
    identifier = query.strip()
    parts = []
    if terms:
        parts.append(_text_hits(dialect, terms, articles))
    exact = []
    if DOI_QUERY.fullmatch(identifier):
        exact.append(articles.c.doi == identifier)
    if PMID_QUERY.fullmatch(identifier):
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


def _text_hits(dialect: str, terms: list[str], articles: Any) -> Any:
    if dialect == "postgresql":
        document = func.to_tsvector(literal_column("'simple'"), articles.c.search_text)
        wanted = func.plainto_tsquery(literal_column("'simple'"), " ".join(terms))
        # ts_rank is a real below 1 for almost every text; scaled and cut to an integer, it
        # is a key a cursor can carry exactly.
        rank = cast(func.floor(func.ts_rank(document, wanted) * RANK_SCALE), BigInteger)
        return select(
            articles.c.registered_position.label("position"),
            func.least(rank, EXACT_RANK - 1).label("rank_key"),
        ).where(document.bool_op("@@")(wanted))
    fts = table(INDEX_NAME, literal_column("rowid"))
    index: Any = literal_column(INDEX_NAME)
    # bm25 is negative, the better the lower; its negation scaled is the key (a cast to an
    # integer truncates: the floor of a positive number, with or without SQLite's optional
    # math functions). It is only defined in the FTS5 table's own matching query, so the
    # hits are a subquery.
    rank = cast(-func.bm25(index) * RANK_SCALE, BigInteger)
    return (
        select(
            literal_column("rowid").label("position"),
            func.max(func.min(rank, EXACT_RANK - 1), 0).label("rank_key"),
        )
        .select_from(fts)
        .where(index.op("MATCH")(_fts5_query(terms)))
    )
