"""Raters as the read side knows them: their ratings with every version, their discipline,
and the names people gave (while not erased)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.projections.tables import ViewTables, live_views
from ledger.read.batches import Row, wanted
from ledger.store.tables import people

__all__ = [
    "RatingHistory",
    "RatingVersion",
    "display_names",
    "rater_disciplines",
    "rater_ratings",
]


@dataclass(frozen=True)
class RatingVersion:
    position: int
    kind: str  # submitted, revised or withdrawn
    relevance: int | None
    newsworthiness: int | None
    comment: str | None
    recorded_at: datetime
    # Why newsworthiness is None (``ledger.domain.ratings``); None on a withdrawal.
    newsworthiness_absent: str | None = None


@dataclass(frozen=True)
class RatingHistory:
    """One rating of one article by one rater: every version, the newest last."""

    rating_id: str
    article_id: str
    versions: tuple[RatingVersion, ...]

    @property
    def current(self) -> RatingVersion:
        return self.versions[-1]


async def rater_ratings(
    conn: AsyncConnection, rater_id: str, *, views: ViewTables = live_views
) -> list[RatingHistory]:
    """A rater's ratings, newest first, each with all its versions (one statement)."""
    table = views.rating_versions
    query = select(table).where(table.c.rater_id == rater_id).order_by(table.c.position)
    grouped: dict[str, list[Row]] = {}
    for row in (await conn.execute(query)).mappings():
        grouped.setdefault(row["rating_id"], []).append(row)
    histories = [
        RatingHistory(
            rating_id=rating_id,
            article_id=rows[0]["article_id"],
            versions=tuple(
                RatingVersion(
                    r["position"],
                    r["kind"],
                    r["relevance"],
                    r["newsworthiness"],
                    r["comment"],
                    r["recorded_at"],
                    r["newsworthiness_absent"],
                )
                for r in rows
            ),
        )
        for rating_id, rows in grouped.items()
    ]
    return sorted(histories, key=lambda h: h.current.position, reverse=True)


async def rater_disciplines(
    conn: AsyncConnection, rater_ids: Sequence[str], *, views: ViewTables = live_views
) -> dict[str, str]:
    """By rater id: the discipline each of these enrolled raters rates in."""
    table = views.raters
    query = select(table.c.rater_id, table.c.discipline).where(
        table.c.rater_id.in_(wanted(rater_ids))
    )
    return {row.rater_id: row.discipline for row in await conn.execute(query)}


async def display_names(conn: AsyncConnection, person_ids: Sequence[str]) -> dict[str, str | None]:
    """By person id: the name each of these people gave, None once erased."""
    query = select(people.c.person_id, people.c.display_name).where(
        people.c.person_id.in_(wanted(person_ids))
    )
    return {row.person_id: row.display_name for row in await conn.execute(query)}
