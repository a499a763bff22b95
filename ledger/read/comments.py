"""Comments as readers see them: raters' (by discipline only) and subscribers'."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.projections.tables import ViewTables, live_views
from ledger.read.batches import Row, rows_by_article, wanted
from ledger.read.scores import in_assigned

__all__ = [
    "RaterComment",
    "SubscriberComment",
    "load_rater_comments",
    "load_subscriber_comments",
    "rater_comments_of",
    "subscriber_comments_of",
]


@dataclass(frozen=True)
class RaterComment:
    """Shown publicly by discipline only; ``rater_id`` is for auditors' eyes."""

    discipline: str
    body: str
    posted_at: datetime
    rater_id: str


@dataclass(frozen=True)
class SubscriberComment:
    comment_id: str
    author_id: str
    body: str
    posted_at: datetime
    hidden: bool


def rater_comments_of(rows: Iterable[Row]) -> tuple[RaterComment, ...]:
    ordered = sorted(rows, key=lambda row: row["submitted_position"])
    return tuple(
        RaterComment(r["discipline"], r["comment"], r["rated_at"], r["rater_id"])
        for r in ordered
        if r["comment"] is not None
    )


def subscriber_comments_of(
    rows: Iterable[Row], *, include_hidden: bool
) -> tuple[SubscriberComment, ...]:
    ordered = sorted(rows, key=lambda row: row["posted_position"])
    return tuple(
        SubscriberComment(r["comment_id"], r["author_id"], r["body"], r["posted_at"], r["hidden"])
        for r in ordered
        if include_hidden or not r["hidden"]
    )


async def load_rater_comments(
    conn: AsyncConnection, ids: Sequence[str], *, views: ViewTables = live_views
) -> dict[str, tuple[RaterComment, ...]]:
    table = views.active_ratings
    query = select(table).where(
        table.c.article_id.in_(wanted(ids)),
        table.c.comment.is_not(None),
        # A rater's comment shows where their discipline's score does.
        in_assigned(table, views),
    )
    grouped = await rows_by_article(conn, query, ids)
    return {article_id: rater_comments_of(rows) for article_id, rows in grouped.items()}


async def load_subscriber_comments(
    conn: AsyncConnection,
    ids: Sequence[str],
    *,
    include_hidden: bool = False,
    views: ViewTables = live_views,
) -> dict[str, tuple[SubscriberComment, ...]]:
    table = views.subscriber_comments
    query = select(table).where(table.c.article_id.in_(wanted(ids)))
    if not include_hidden:
        query = query.where(table.c.hidden.is_(False))
    grouped = await rows_by_article(conn, query, ids)
    return {
        article_id: subscriber_comments_of(rows, include_hidden=include_hidden)
        for article_id, rows in grouped.items()
    }
