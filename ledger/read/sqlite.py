"""What the read side asks SQLite its own way: FTS5 text hits, ``topic_key`` in SQL, and new
positions learnt from the database's change counter."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, cast, func, literal_column, select, table
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.projections.search_index import INDEX_NAME
from ledger.read.changes import LearningChanges, PolledChanges
from ledger.read.data_version import DataVersionChanges
from ledger.read.rank import EXACT_RANK, RANK_SCALE
from ledger.store.sqlite import database_file

__all__ = ["learning_changes", "text_hits", "topic_key"]


def _fts5_query(terms: list[str]) -> str:
    """FTS5's AND of ``terms``, each a quoted string (so nothing in it is syntax)."""
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def text_hits(terms: list[str], articles: Any) -> Select[Any, Any]:
    """(``position``, ``rank_key``) of the articles with every one of ``terms``, from the
    FTS5 index (whose rowid is the registration position)."""
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


def topic_key(column: Any) -> ColumnElement[Any]:
    """``ledger.domain.vocabulary.topic_key`` in SQL: SQLite's lower() folds ASCII letters
    only, as that function does."""
    return func.lower(func.trim(column))


async def learning_changes(engine: AsyncEngine) -> LearningChanges:
    """A file's change counter; for an in-memory database (one connection's own, which no
    other process writes), the polled read."""
    path = database_file(engine)
    return PolledChanges(engine) if path is None else DataVersionChanges(engine, path)
