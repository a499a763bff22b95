"""The vocabulary as the ledger already knows it: topics (with how many articles carry
each) and the registered disciplines."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.domain import search_text
from ledger.domain.raters import discipline_key
from ledger.domain.vocabulary import known_spellings, topic_key
from ledger.projections.tables import ViewTables, live_views
from ledger.read.backends import backend_of

__all__ = [
    "discipline_named",
    "disciplines",
    "load_topic_counts",
    "topic_spellings",
    "topics",
]


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
    """By ``topic_key``: how the ledger already spells each of these topics, if it does
    (``known_spellings`` chooses among the spellings this reads).

    (It reads the topic index through: a registration is an editor's step, and the index
    holds a few entries per article.)
    """
    wanted = sorted({topic_key(name) for name in names})
    if not wanted:
        return {}
    table = views.article_topics
    key_of = backend_of(conn).topic_key
    query = select(table.c.topic).where(key_of(table.c.topic).in_(wanted)).distinct()
    return known_spellings(names, (await conn.scalars(query)).all())


async def discipline_named(
    conn: AsyncConnection, name: str, *, views: ViewTables = live_views
) -> str | None:
    """The registered discipline ``name`` means, as it is registered ("nurse": "Nurse"), or
    None when no discipline has that name."""
    table = views.disciplines
    return await conn.scalar(
        select(table.c.name).where(table.c.discipline_key == discipline_key(name))
    )


async def topics(conn: AsyncConnection, *, views: ViewTables = live_views) -> list[tuple[str, int]]:
    """Every topic with the number of articles that carry it, by name: counted by the folded
    topic, as the list's topic filter and an article's topics count them, and retracted
    articles aside, as the article list leaves them out."""
    table = views.article_topics
    articles = views.article_views
    spelled = select(table.c.topic, table.c.topic_key).distinct().subquery()
    carrying = table.alias()
    query = (
        select(spelled.c.topic, func.count(carrying.c.article_id.distinct()).label("articles"))
        .join_from(spelled, carrying, carrying.c.topic_key == spelled.c.topic_key)
        .join(articles, articles.c.article_id == carrying.c.article_id)
        .where(articles.c.retracted.is_(False))
        .group_by(spelled.c.topic)
        .order_by(spelled.c.topic)
    )
    return [(row.topic, row.articles) for row in await conn.execute(query)]


async def disciplines(conn: AsyncConnection, *, views: ViewTables = live_views) -> list[str]:
    table = views.disciplines
    return list(
        (await conn.scalars(select(table.c.name).order_by(table.c.registered_position))).all()
    )
