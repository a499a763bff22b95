"""What the read side asks PostgreSQL its own way: text hits over the GIN-indexed
``to_tsvector('simple', ...)``, ``topic_key`` in SQL, and new positions learnt from the
append's notifications."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, cast, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.read.changes import LearningChanges
from ledger.read.listened import ListenedChanges
from ledger.read.rank import EXACT_RANK, RANK_SCALE

__all__ = ["learning_changes", "text_hits", "topic_key"]

_UPPER, _LOWER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"


def text_hits(terms: list[str], articles: Any) -> Select[Any, Any]:
    """(``position``, ``rank_key``) of the articles with every one of ``terms``."""
    document = func.to_tsvector(literal_column("'simple'"), articles.c.search_text)
    wanted = func.plainto_tsquery(literal_column("'simple'"), " ".join(terms))
    # ts_rank is a real below 1 for almost every text; scaled and cut to an integer, it
    # is a key a cursor can carry exactly.
    rank = cast(func.floor(func.ts_rank(document, wanted) * RANK_SCALE), BigInteger)
    return select(
        articles.c.registered_position.label("position"),
        func.least(rank, EXACT_RANK - 1).label("rank_key"),
    ).where(document.bool_op("@@")(wanted))


def topic_key(column: Any) -> ColumnElement[Any]:
    """``ledger.domain.vocabulary.topic_key`` in SQL: this translate() folds ASCII letters only,
    as that function does (PostgreSQL's lower() would fold others too)."""
    return func.translate(func.trim(column), _UPPER, _LOWER)


async def learning_changes(engine: AsyncEngine) -> LearningChanges:
    """The append's notifications, listened to on a connection of this process's own."""
    listened = ListenedChanges(engine)
    await listened.start()
    return listened
