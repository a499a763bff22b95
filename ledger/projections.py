"""The projector: loads the rows a batch of events touches, folds, writes back the changes.

A constant number of statements per batch, whatever its size: one load per table, one
delete and one upsert per changed table. Live appends project their own events in the
append's transaction; rebuilds run the very same code over the whole log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, delete, insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger._append import lock_head
from ledger.events import REGISTRY, EventRegistry
from ledger.records import RecordedEvent
from ledger.store import EventStore
from ledger.tables import PROJECTIONS, ViewTables, live_views, projection_checkpoints
from ledger.view_fold import Fact, Rows, WorkingSet, apply, keys_of

__all__ = ["ProjectionBehind", "Projector", "advance_checkpoints", "catch_up", "checkpoint"]

CATCH_UP_PAGE = 2000


class ProjectionBehind(Exception):
    """The live views have not seen every event before this append (e.g. after a migration
    on an existing ledger): they must catch up before anything is projected on top."""


class Projector:
    def __init__(self, views: ViewTables = live_views, registry: EventRegistry = REGISTRY) -> None:
        self.views = views
        self.registry = registry

    def facts(self, events: Iterable[RecordedEvent]) -> list[Fact]:
        return [
            Fact(
                self.registry.decode(e.type, e.payload),
                e.position,
                e.stream_version,
                e.metadata.recorded_at,
            )
            for e in events
        ]

    async def project(self, conn: AsyncConnection, events: Sequence[RecordedEvent]) -> None:
        await self.project_facts(conn, self.facts(events))

    async def project_facts(self, conn: AsyncConnection, facts: Sequence[Fact]) -> None:
        ws = WorkingSet()
        await self._load(conn, ws, facts)
        for fact in facts:
            apply(ws, fact)
        await self._flush(conn, ws)

    async def _load(self, conn: AsyncConnection, ws: WorkingSet, facts: Sequence[Fact]) -> None:
        keys = keys_of(facts)
        v = self.views
        if keys.articles:
            ids = sorted(keys.articles)
            await _fill(conn, ws.articles, v.article_views, v.article_views.c.article_id.in_(ids))
            await _fill(
                conn, ws.scores, v.discipline_scores, v.discipline_scores.c.article_id.in_(ids)
            )
        if keys.ratings:
            ids = sorted(keys.ratings)
            await _fill(conn, ws.ratings, v.active_ratings, v.active_ratings.c.rating_id.in_(ids))
        if keys.comments:
            ids = sorted(keys.comments)
            table = v.subscriber_comments
            await _fill(conn, ws.comments, table, table.c.comment_id.in_(ids))

    async def _flush(self, conn: AsyncConnection, ws: WorkingSet) -> None:
        v = self.views
        await _write(conn, v.article_views, ws.articles)
        await _write(conn, v.discipline_scores, ws.scores)
        await _write(conn, v.active_ratings, ws.ratings)
        await _write(conn, v.subscriber_comments, ws.comments)
        await _write(conn, v.raters, ws.raters)
        await _write(conn, v.disciplines, ws.disciplines)
        await _write(conn, v.rating_versions, ws.rating_versions)
        await _write_topics(conn, v.article_topics, ws.topics)


def _key_of(table: Table, row: Any) -> Any:
    pk = [column.name for column in table.primary_key]
    values = tuple(getattr(row, name) for name in pk)
    return values[0] if len(values) == 1 else values


async def _fill(conn: AsyncConnection, rows: Rows, table: Table, where: Any) -> None:
    for row in await conn.execute(select(table).where(where)):
        rows.rows[_key_of(table, row)] = dict(row._mapping)


async def _write(conn: AsyncConnection, table: Table, rows: Rows) -> None:
    if not rows.changed:
        return
    changed = sorted(rows.changed)
    gone = [key for key in changed if rows.rows[key] is None]
    kept = [row for key in changed if (row := rows.rows[key]) is not None]
    pk = [column for column in table.primary_key]
    if gone:
        target = pk[0] if len(pk) == 1 else tuple_(*pk)
        await conn.execute(delete(table).where(target.in_(gone)))
    if kept:
        await conn.execute(_upsert(conn, table), kept)


def _upsert(conn: AsyncConnection, table: Table) -> Any:
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(table)
    pk = [column.name for column in table.primary_key]
    return statement.on_conflict_do_update(
        index_elements=pk,
        set_={c.name: statement.excluded[c.name] for c in table.columns if c.name not in pk},
    )


async def _write_topics(conn: AsyncConnection, table: Table, rows: Rows) -> None:
    if not rows.changed:
        return
    changed = sorted(rows.changed)
    await conn.execute(delete(table).where(table.c.article_id.in_(changed)))
    new_rows = [
        {"article_id": article_id, "topic": topic, "ordinal": ordinal}
        for article_id in changed
        for ordinal, topic in enumerate((rows.rows[article_id] or {}).get("topics", ()))
    ]
    if new_rows:
        await conn.execute(insert(table), new_rows)


async def checkpoint(conn: AsyncConnection, name: str = PROJECTIONS[0]) -> int:
    position = await conn.scalar(
        select(projection_checkpoints.c.position).where(projection_checkpoints.c.name == name)
    )
    return int(position or 0)


async def advance_checkpoints(
    conn: AsyncConnection, position: int, *, after: int | None = None
) -> None:
    """Move every projection's checkpoint to ``position``.

    With ``after``, only from exactly that position, else ``ProjectionBehind``: this is
    the guard that a live append never projects over a gap.
    """
    statement = (
        update(projection_checkpoints)
        .where(projection_checkpoints.c.name.in_(PROJECTIONS))
        .values(position=position)
    )
    if after is not None:
        statement = statement.where(projection_checkpoints.c.position == after)
    result = await conn.execute(statement)
    if after is not None and result.rowcount != len(PROJECTIONS):
        raise ProjectionBehind(f"the views are not at position {after}")


async def catch_up(store: EventStore, projector: Projector) -> int:
    """Project every event after the live checkpoint; returns how many were applied."""
    applied = 0
    async with store.transaction() as tx:
        await lock_head(tx.connection)  # no append may project while we fill the gap
        position = await checkpoint(tx.connection)
        while page := await tx.read_all(position, CATCH_UP_PAGE):
            await projector.project(tx.connection, page)
            position = page[-1].position
            applied += len(page)
        await advance_checkpoints(tx.connection, position)
    return applied
