"""A subscriber's alert profile and their due alerts, as the alerts projection holds them
(with the contact details kept outside the chain)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.projections.tables import ViewTables, live_views
from ledger.store.tables import alert_contacts

__all__ = ["AlertProfileView", "DueAlertView", "alert_page", "alert_profile"]


@dataclass(frozen=True)
class AlertProfileView:
    disciplines: tuple[str, ...]
    relevance_cutoff: int
    newsworthiness_cutoff: int
    topics: tuple[str, ...]
    study_types: tuple[str, ...]
    delivery: str
    email: str | None
    webhook_url: str | None
    set_position: int
    set_at: datetime


@dataclass(frozen=True)
class DueAlertView:
    alert_id: str
    article_id: str
    kind: str
    discipline: str | None
    position: int
    due_at: datetime


async def alert_profile(
    conn: AsyncConnection, subscriber_id: str, *, views: ViewTables = live_views
) -> AlertProfileView | None:
    """The subscriber's profile in force, None when they have none."""
    profiles = views.alert_profiles
    query = (
        select(profiles, alert_contacts.c.email, alert_contacts.c.webhook_url)
        .outerjoin(alert_contacts, alert_contacts.c.contact_id == profiles.c.contact_id)
        .where(profiles.c.subscriber_id == subscriber_id)
    )
    row = (await conn.execute(query)).mappings().one_or_none()
    if row is None:
        return None
    return AlertProfileView(
        disciplines=tuple(json.loads(row["disciplines"])),
        relevance_cutoff=row["relevance_cutoff"],
        newsworthiness_cutoff=row["newsworthiness_cutoff"],
        topics=tuple(json.loads(row["topics"])),
        study_types=tuple(json.loads(row["study_types"])),
        delivery=row["delivery"],
        email=row["email"],
        webhook_url=row["webhook_url"],
        set_position=row["set_position"],
        set_at=row["set_at"],
    )


async def alert_page(
    conn: AsyncConnection,
    subscriber_id: str,
    first: int,
    *,
    before: tuple[int, str] | None = None,
    views: ViewTables = live_views,
) -> tuple[list[DueAlertView], bool]:
    """The subscriber's due alerts, newest first (by the position that made them due, then
    id), after the keyset ``before``; and whether more follow."""
    due = views.due_alerts
    query = select(due).where(due.c.subscriber_id == subscriber_id)
    if before is not None:
        position, alert_id = before
        query = query.where(
            or_(
                due.c.position < position,
                and_(due.c.position == position, due.c.alert_id < alert_id),
            )
        )
    query = query.order_by(due.c.position.desc(), due.c.alert_id.desc()).limit(first + 1)
    rows = (await conn.execute(query)).mappings().all()
    page = [
        DueAlertView(
            r["alert_id"], r["article_id"], r["kind"], r["discipline"], r["position"], r["due_at"]
        )
        for r in rows[:first]
    ]
    return page, len(rows) > first
