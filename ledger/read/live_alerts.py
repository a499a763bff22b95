"""A subscriber's alerts made due after a position, oldest first: what the live ``alerts``
subscription sends, and where a reconnecting client resumes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.projections.tables import ViewTables, live_views
from ledger.read.alerts import DueAlertView

__all__ = ["alerts_due_after"]


async def alerts_due_after(
    conn: AsyncConnection,
    subscriber_id: str,
    after: int,
    first: int,
    *,
    views: ViewTables = live_views,
) -> list[DueAlertView]:
    """Up to ``first`` of the subscriber's due alerts whose position is after ``after``, in
    ledger order (one position may make several due: then by id). Only theirs: the
    subscriber is the caller's principal, never an argument."""
    due = views.due_alerts
    query = (
        select(due)
        .where(due.c.subscriber_id == subscriber_id, due.c.position > after)
        .order_by(due.c.position, due.c.alert_id)
        .limit(first)
    )
    rows = (await conn.execute(query)).mappings().all()
    return [
        DueAlertView(
            r["alert_id"], r["article_id"], r["kind"], r["discipline"], r["position"], r["due_at"]
        )
        for r in rows
    ]
