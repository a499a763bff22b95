"""What editors and readers are told about retractions and hidden comments, from the log.

The reason of a retraction and of a hiding, who made it and when, are facts of the events
themselves (payload and metadata), so they are read from the article streams rather than
copied into the views: the views and their rebuild stay as they are. Each ``load_*``
answers for many articles in one statement, over the (stream, version) index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.domain.articles import stream_id
from ledger.projections.tables import ViewTables, live_views
from ledger.read.comments import SubscriberComment, subscriber_comments_of
from ledger.store.sql_store import SQLEventStore
from ledger.store.tables import events

__all__ = [
    "HiddenComment",
    "Hiding",
    "Retraction",
    "hidden_comment_page",
    "load_hidden_comments",
    "load_hidings",
    "load_retractions",
]


@dataclass(frozen=True)
class Retraction:
    reason: str
    retracted_at: datetime


@dataclass(frozen=True)
class Hiding:
    """Why, by whom (the editor's principal id) and when a comment was last hidden."""

    reason: str
    hidden_by: str
    hidden_at: datetime


@dataclass(frozen=True)
class HiddenComment:
    article_id: str
    comment: SubscriberComment
    hiding: Hiding
    posted_position: int


def _article_of(stream: str) -> str:
    return stream.partition(":")[2]


async def load_retractions(
    conn: AsyncConnection, store: SQLEventStore, ids: Sequence[str]
) -> dict[str, Retraction]:
    """The retraction of each of these articles that has one (an article is retracted once)."""
    query = select(events).where(
        events.c.stream_id.in_(sorted({stream_id(i) for i in ids})),
        events.c.event_type == "ArticleRetracted",
    )
    found: dict[str, Retraction] = {}
    for row in await conn.execute(query):
        event = store.decode(row)
        found[_article_of(event.stream_id)] = Retraction(
            reason=str(event.payload["reason"]), retracted_at=event.metadata.recorded_at
        )
    return found


async def load_hidings(
    conn: AsyncConnection, store: SQLEventStore, article_ids: Sequence[str]
) -> dict[str, Hiding]:
    """By comment id: the latest hiding of each comment of these articles still hidden."""
    query = (
        select(events)
        .where(
            events.c.stream_id.in_(sorted({stream_id(i) for i in article_ids})),
            events.c.event_type.in_(("CommentHidden", "CommentRestored")),
        )
        .order_by(events.c.position)
    )
    hidings: dict[str, Hiding] = {}
    for row in await conn.execute(query):
        event = store.decode(row)
        comment_id = str(event.payload["comment_id"])
        if event.type == "CommentRestored":
            hidings.pop(comment_id, None)
            continue
        hidings[comment_id] = Hiding(
            reason=str(event.payload["reason"]),
            hidden_by=event.metadata.actor.id,
            hidden_at=event.metadata.recorded_at,
        )
    return hidings


async def load_hidden_comments(
    conn: AsyncConnection,
    store: SQLEventStore,
    article_ids: Sequence[str],
    *,
    views: ViewTables = live_views,
) -> dict[str, tuple[HiddenComment, ...]]:
    """By article: its hidden subscriber comments, oldest first, with their hiding."""
    table = views.subscriber_comments
    query = select(table).where(
        table.c.article_id.in_(sorted(set(article_ids))), table.c.hidden.is_(True)
    )
    rows = (await conn.execute(query)).mappings().all()
    return await _with_hidings(conn, store, rows, {i: [] for i in article_ids})


async def hidden_comment_page(
    conn: AsyncConnection,
    store: SQLEventStore,
    first: int,
    *,
    before_position: int | None = None,
    views: ViewTables = live_views,
) -> tuple[list[HiddenComment], bool]:
    """Hidden comments of every article, newest posted first, and whether more follow."""
    table = views.subscriber_comments
    query = select(table).where(table.c.hidden.is_(True))
    if before_position is not None:
        query = query.where(table.c.posted_position < before_position)
    query = query.order_by(table.c.posted_position.desc()).limit(first + 1)
    rows = (await conn.execute(query)).mappings().all()
    grouped = await _with_hidings(conn, store, rows[:first], {})
    page = sorted(
        (c for comments in grouped.values() for c in comments),
        key=lambda c: c.posted_position,
        reverse=True,
    )
    return page, len(rows) > first


async def _with_hidings(
    conn: AsyncConnection,
    store: SQLEventStore,
    rows: Sequence[RowMapping],
    grouped: dict[str, list[HiddenComment]],
) -> dict[str, tuple[HiddenComment, ...]]:
    comments = subscriber_comments_of(rows, include_hidden=True)
    article_of = {r["comment_id"]: r["article_id"] for r in rows}
    position_of = {r["comment_id"]: r["posted_position"] for r in rows}
    hidings = await load_hidings(conn, store, sorted(set(article_of.values()))) if rows else {}
    for comment in comments:
        article_id = article_of[comment.comment_id]
        hiding = hidings[comment.comment_id]
        grouped.setdefault(article_id, []).append(
            HiddenComment(article_id, comment, hiding, position_of[comment.comment_id])
        )
    return {article_id: tuple(found) for article_id, found in grouped.items()}
