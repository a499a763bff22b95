"""The requests projection: rating requests with their state, raters' profiles, and the
disciplines assigned to articles, folded from the log.

It moves with the other views under their checkpoint, in the append's transaction
(``ledger.use_cases.sql_views``); rebuild and verify replay it in order with the same code
(``ledger.replay.in_order``). A batch of events is folded into ``RequestRows`` loaded with
only what it can read: the open requests of the articles it rates or expires on, and the
profiles of the raters it changes. The in-memory views fold into rows that hold everything.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.domain.events import (
    REGISTRY,
    ArticleDisciplinesAssigned,
    EventRegistry,
    RatingRequestCancelled,
    RatingRequestExpired,
    RatingSubmitted,
)
from ledger.projections.fold import Fact, Rows
from ledger.projections.request_fold import (
    PROFILE_EVENTS,
    RequestRows,
    apply_request,
    concerns_requests,
)
from ledger.projections.tables import ViewTables, live_views
from ledger.store.in_lists import delete_in, in_chunks, select_in
from ledger.store.records import RecordedEvent

__all__ = ["RequestProjector"]


class RequestProjector:
    """Folds events into the requests tables of ``views`` (the live ones, or a replay's)."""

    def __init__(self, views: ViewTables = live_views, registry: EventRegistry = REGISTRY) -> None:
        self.views = views
        self.registry = registry

    async def project(self, conn: AsyncConnection, events: Sequence[RecordedEvent]) -> None:
        facts = [
            Fact(
                self.registry.decode(e.type, e.payload),
                e.position,
                e.stream_version,
                e.metadata.recorded_at,
            )
            for e in events
        ]
        await self.project_facts(conn, facts)

    async def project_facts(self, conn: AsyncConnection, facts: Sequence[Fact]) -> None:
        concerned = [f for f in facts if concerns_requests(f)]
        if not concerned:
            return
        rows = RequestRows()
        await self._load(conn, rows, concerned)
        for fact in concerned:
            apply_request(rows, fact)
        v = self.views
        await _write(conn, v.rating_requests, rows.requests)
        await _write(conn, v.rater_profiles, rows.profiles)
        await _write_assigned(conn, v.assigned_disciplines, rows.assignments)
        await _write(conn, v.article_disciplines, rows.assignments)

    async def _load(self, conn: AsyncConnection, rows: RequestRows, facts: Sequence[Fact]) -> None:
        v = self.views
        closing = sorted(
            {
                f.event.article_id
                for f in facts
                if isinstance(
                    f.event, RatingRequestExpired | RatingRequestCancelled | RatingSubmitted
                )
            }
        )
        table = v.rating_requests
        for chunk in in_chunks(closing):
            query = select(table).where(table.c.article_id.in_(chunk), table.c.status == "open")
            for row in (await conn.execute(query)).mappings():
                rows.hold_request(dict(row))
        raters = sorted({f.event.rater_id for f in facts if isinstance(f.event, PROFILE_EVENTS)})
        for profile in await select_in(conn, v.rater_profiles.c.rater_id, raters):
            rows.profiles.loaded(profile["rater_id"], profile)
        assigned = sorted(
            {f.event.article_id for f in facts if isinstance(f.event, ArticleDisciplinesAssigned)}
        )
        for assignment in await select_in(conn, v.article_disciplines.c.article_id, assigned):
            rows.assignments.loaded(assignment["article_id"], assignment)


async def _write(conn: AsyncConnection, table: Any, rows: Rows) -> None:
    """Every changed row written: those the table held replaced, the new ones inserted."""
    if not rows.changed:
        return
    changed = sorted(rows.changed)
    await delete_in(conn, table, [k for k in changed if k in rows.stored])
    new_rows = [row for k in changed if (row := rows.rows[k]) is not None]
    if new_rows:
        await conn.execute(insert(table), new_rows)
    rows.stored.update(changed)
    rows.changed.clear()


async def _write_assigned(conn: AsyncConnection, table: Any, assignments: Rows) -> None:
    """The changed assignments again, a row per discipline: an article's rows replaced.
    Before ``_write`` of the same rows, which clears what changed."""
    changed = sorted(assignments.changed)
    stored = [k for k in changed if k in assignments.stored]
    await delete_in(conn, table, stored, column=table.c.article_id)
    new_rows = [
        {"article_id": article_id, "discipline": discipline}
        for article_id in changed
        if (row := assignments.rows[article_id]) is not None
        for discipline in json.loads(row["disciplines"])
    ]
    if new_rows:
        await conn.execute(insert(table), new_rows)
