"""Topics as the ledger already knows them, read from the article view."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.tables import ViewTables, live_views

__all__ = ["load_topic_counts"]


async def load_topic_counts(
    conn: AsyncConnection, names: Sequence[str], *, views: ViewTables = live_views
) -> dict[str, int]:
    """How many articles carry each of these topics, in one statement (over its index)."""
    table = views.article_topics
    query = (
        select(table.c.topic, func.count().label("articles"))
        .where(table.c.topic.in_(sorted(set(names))))
        .group_by(table.c.topic)
    )
    return {row.topic: row.articles for row in await conn.execute(query)}
