"""Topics as the ledger already knows them, read from the article view."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.domain import search_text
from ledger.domain.vocabulary import topic_key
from ledger.projections.tables import ViewTables, live_views

__all__ = ["load_topic_counts", "topic_spellings"]

_UPPER, _LOWER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"


async def load_topic_counts(
    conn: AsyncConnection, names: Sequence[str], *, views: ViewTables = live_views
) -> dict[str, int]:
    """How many articles carry each of these topics (retracted ones aside, as the article
    list leaves them out), in one statement (over its index).

    Counted by the folded topic, as the article list's topic filter matches: spellings the
    vocabulary keeps apart ("Épaule", "épaule"), or that two registrations raced to write,
    would otherwise each show a count smaller than the list the front end links to.
    """
    folded = {name: search_text.fold(name) for name in names}
    table = views.article_topics
    articles = views.article_views
    query = (
        select(table.c.topic_key, func.count(table.c.article_id.distinct()).label("articles"))
        .join(articles, articles.c.article_id == table.c.article_id)
        .where(
            table.c.topic_key.in_(sorted(set(folded.values()))),
            articles.c.retracted.is_(False),
        )
        .group_by(table.c.topic_key)
    )
    counts = {row.topic_key: row.articles for row in await conn.execute(query)}
    return {name: counts.get(key, 0) for name, key in folded.items()}


async def topic_spellings(
    conn: AsyncConnection, names: Sequence[str], *, views: ViewTables = live_views
) -> dict[str, str]:
    """By ``topic_key``: how the ledger already spells each of these topics, if it does.

    Where the ledger holds several spellings of one topic, the first by code point is used,
    so both backends choose the same. (It reads the topic index through: a registration is
    an editor's step, and the index holds a few entries per article.)
    """
    wanted = sorted({topic_key(name) for name in names})
    if not wanted:
        return {}
    table = views.article_topics
    query = select(table.c.topic).where(_key_of(conn, table.c.topic).in_(wanted)).distinct()
    spellings: dict[str, str] = {}
    for topic in sorted((await conn.scalars(query)).all()):
        spellings.setdefault(topic_key(topic), topic)
    return spellings


def _key_of(conn: AsyncConnection, column: Any) -> Any:
    """``topic_key`` in SQL: SQLite's lower() folds ASCII letters only, and so does this
    translate() on PostgreSQL (whose lower() would fold others too)."""
    if conn.dialect.name == "sqlite":
        return func.lower(func.trim(column))
    return func.translate(func.trim(column), _UPPER, _LOWER)
