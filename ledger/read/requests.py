"""Rating requests as the requests projection holds them: the rater pool the assignment rule
chooses from, the overdue requests, a rater's queue and an article's requests."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.domain.requests import DEFAULT_MONTHLY_LIMIT, PoolRater, RaterProfile
from ledger.projections.tables import ViewTables, live_views

__all__ = [
    "RequestView",
    "article_requests",
    "assigned_disciplines",
    "overdue_articles",
    "rater_pool",
    "rater_profile",
    "rater_queue",
]


@dataclass(frozen=True)
class RequestView:
    request_id: str
    article_id: str
    rater_id: str
    discipline: str
    requested_at: str
    due: str
    status: str  # open, answered or expired


async def rater_pool(
    conn: AsyncConnection,
    disciplines: Sequence[str],
    month_start: str,
    views: ViewTables = live_views,
) -> list[PoolRater]:
    """The raters of ``disciplines`` with their profiles and their requests since
    ``month_start`` (a cancelled one not counted: it asked nothing of them), in rater id
    order (one statement)."""
    if not disciplines:
        return []
    raters, profiles, requests = views.raters, views.rater_profiles, views.rating_requests
    this_month = (
        select(requests.c.rater_id, func.count().label("asked"))
        .where(requests.c.requested_at >= month_start, requests.c.status != "cancelled")
        .group_by(requests.c.rater_id)
        .subquery()
    )
    query = (
        select(
            raters.c.rater_id,
            raters.c.discipline,
            profiles.c.populations,
            profiles.c.monthly_limit,
            profiles.c.paused,
            this_month.c.asked,
        )
        .outerjoin(profiles, profiles.c.rater_id == raters.c.rater_id)
        .outerjoin(this_month, this_month.c.rater_id == raters.c.rater_id)
        .where(raters.c.discipline.in_(list(disciplines)))
        .order_by(raters.c.rater_id)
    )
    return [
        PoolRater(
            row.rater_id,
            row.discipline,
            tuple(json.loads(row.populations)) if row.populations else (),
            row.monthly_limit or DEFAULT_MONTHLY_LIMIT,
            bool(row.paused),
            int(row.asked or 0),
        )
        for row in await conn.execute(query)
    ]


async def overdue_articles(
    conn: AsyncConnection, moment: str, views: ViewTables = live_views
) -> list[str]:
    """The articles with an open request due by ``moment``, in id order."""
    requests = views.rating_requests
    query = (
        select(requests.c.article_id)
        .where(requests.c.status == "open", requests.c.due <= moment)
        .distinct()
        .order_by(requests.c.article_id)
    )
    return list((await conn.scalars(query)).all())


async def rater_queue(conn: AsyncConnection, rater_id: str) -> list[RequestView]:
    """A rater's open requests, oldest first."""
    requests = live_views.rating_requests
    query = (
        select(requests)
        .where(and_(requests.c.rater_id == rater_id, requests.c.status == "open"))
        .order_by(requests.c.requested_at, requests.c.request_id)
    )
    return [_request(row) for row in (await conn.execute(query)).mappings()]


async def article_requests(conn: AsyncConnection, article_id: str) -> list[RequestView]:
    """Every request made for an article, in the order they were made."""
    requests = live_views.rating_requests
    query = (
        select(requests)
        .where(requests.c.article_id == article_id)
        .order_by(requests.c.requested_position, requests.c.request_id)
    )
    return [_request(row) for row in (await conn.execute(query)).mappings()]


async def assigned_disciplines(conn: AsyncConnection, article_id: str) -> tuple[str, ...]:
    """The disciplines an article is rated in (none: never assigned any)."""
    table = live_views.article_disciplines
    found = await conn.scalar(select(table.c.disciplines).where(table.c.article_id == article_id))
    return tuple(json.loads(found)) if found else ()


async def rater_profile(conn: AsyncConnection, rater_id: str) -> RaterProfile | None:
    """A rater's profile (the defaults until they change it); None: no such rater."""
    raters, profiles = live_views.raters, live_views.rater_profiles
    query = (
        select(
            raters.c.discipline, profiles.c.populations, profiles.c.monthly_limit, profiles.c.paused
        )
        .outerjoin(profiles, profiles.c.rater_id == raters.c.rater_id)
        .where(raters.c.rater_id == rater_id)
    )
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return RaterProfile(
        rater_id,
        row.discipline,
        tuple(json.loads(row.populations)) if row.populations else (),
        row.monthly_limit or DEFAULT_MONTHLY_LIMIT,
        bool(row.paused),
    )


def _request(row: object) -> RequestView:
    values = dict(row)  # type: ignore[call-overload]
    return RequestView(
        values["request_id"],
        values["article_id"],
        values["rater_id"],
        values["discipline"],
        values["requested_at"],
        values["due"],
        values["status"],
    )
