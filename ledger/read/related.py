"""Related articles: those sharing an article's topics, for "Show me more articles about ..."."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.projections.tables import ViewTables, live_views
from ledger.read.batches import wanted

__all__ = ["load_related", "related_articles"]


async def load_related(
    conn: AsyncConnection, ids: Sequence[str], first: int, *, views: ViewTables = live_views
) -> dict[str, list[str]]:
    """For each article, the ids of up to ``first`` articles sharing its topics, retracted
    ones left out: most shared topics first, then newest. One statement for all of them (a
    window function)."""
    mine = views.article_topics.alias("mine")
    theirs = views.article_topics.alias("theirs")
    articles = views.article_views
    shared = (
        select(
            mine.c.article_id.label("article_id"),
            theirs.c.article_id.label("related_id"),
            func.count().label("shared"),
        )
        .join(theirs, theirs.c.topic == mine.c.topic)
        .where(mine.c.article_id.in_(wanted(ids)), theirs.c.article_id != mine.c.article_id)
        .group_by(mine.c.article_id, theirs.c.article_id)
        .subquery()
    )
    rank = (
        func.row_number()
        .over(
            partition_by=shared.c.article_id,
            order_by=(
                shared.c.shared.desc(),
                articles.c.published_on.desc().nulls_last(),
                articles.c.registered_position.desc(),
            ),
        )
        .label("rank")
    )
    ranked = (
        select(shared.c.article_id, shared.c.related_id, rank)
        .join(articles, articles.c.article_id == shared.c.related_id)
        # A retracted article is no reading to suggest (the list leaves it out likewise).
        .where(articles.c.retracted.is_(False))
        .subquery()
    )
    query = (
        select(ranked.c.article_id, ranked.c.related_id)
        .where(ranked.c.rank <= first)
        .order_by(ranked.c.article_id, ranked.c.rank)
    )
    related: dict[str, list[str]] = defaultdict(list)
    for row in await conn.execute(query):
        related[row.article_id].append(row.related_id)
    return {article_id: related.get(article_id, []) for article_id in ids}


async def related_articles(
    conn: AsyncConnection, article_id: str, first: int, *, views: ViewTables = live_views
) -> list[str]:
    return (await load_related(conn, [article_id], first, views=views))[article_id]
