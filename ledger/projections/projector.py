"""The projector: loads the rows a batch of events touches, folds, writes back the changes.

A few statements per batch, whatever its size: one load per table for the rows not already
in hand, and per changed table one delete, one upsert of rows the table holds and one
insert of new rows. Live appends project their own events in the append's transaction;
rebuilds run the very same code over the whole log, keeping the working set across
windows (``ledger.replay.rebuild``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.domain.events import REGISTRY, EventRegistry
from ledger.domain.scores import ScorePolicy
from ledger.domain.search_text import fold
from ledger.projections.alerts import AlertProjector, catch_up_alerts
from ledger.projections.backends import ViewWriter, view_backend
from ledger.projections.fold import Fact, Keys, Row, Rows, WorkingSet, apply, keys_of
from ledger.projections.requests import RequestProjector
from ledger.projections.tables import PROJECTIONS, ViewTables, live_views, projection_checkpoints
from ledger.projections.views import ProjectionBehind
from ledger.store.append import lock_head
from ledger.store.in_lists import delete_in, select_in
from ledger.store.records import RecordedEvent
from ledger.store.sql_store import SQLEventStore

__all__ = ["ProjectionBehind", "Projector", "advance_checkpoints", "catch_up", "checkpoint"]

CATCH_UP_PAGE = 2000


class Projector:
    def __init__(
        self,
        views: ViewTables = live_views,
        registry: EventRegistry = REGISTRY,
        policy: ScorePolicy | None = None,
    ) -> None:
        self.views = views
        self.registry = registry
        # The alerts projection over the same set of tables, with a checkpoint of its own,
        # deciding by the deployment's score policy (the other views hold only sums and
        # counts, the same under any policy).
        self.alerts = AlertProjector(views, registry, policy)
        # The requests projection: under the views' checkpoint, folded in ledger order.
        self.requests = RequestProjector(views, registry)
        self._writers: dict[tuple[str, str], ViewWriter] = {}

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
        await self.load(conn, ws, keys_of(facts))
        for fact in facts:
            apply(ws, fact)
        await self.write(conn, ws)

    @staticmethod
    def missing(ws: WorkingSet, keys: Keys) -> Keys:
        """Of ``keys``, those whose rows ``ws`` does not hold."""
        return Keys(
            articles={k for k in keys.articles if k not in ws.articles.rows},
            ratings={k for k in keys.ratings if k not in ws.ratings.rows},
            comments={k for k in keys.comments if k not in ws.comments.rows},
        )

    async def load(self, conn: AsyncConnection, ws: WorkingSet, keys: Keys) -> None:
        """Load the rows of ``keys`` that ``ws`` does not hold yet."""
        keys = self.missing(ws, keys)
        v = self.views
        if keys.articles:
            articles = sorted(keys.articles)
            for row in await select_in(conn, v.article_views.c.article_id, articles):
                ws.articles.loaded(row["article_id"], row)
                # The topics are never read, only replaced: knowing the table may hold some
                # (so they are deleted first) is enough.
                ws.topics.stored.add(row["article_id"])
            # All of an article's scores come with it: a discipline found in none of them has
            # no score row yet.
            for row in await select_in(conn, v.discipline_scores.c.article_id, articles):
                ws.scores.loaded((row["article_id"], row["discipline"]), row)
        if keys.ratings:
            ratings = sorted(keys.ratings)
            for row in await select_in(conn, v.active_ratings.c.rating_id, ratings):
                ws.ratings.loaded(row["rating_id"], row)
        if keys.comments:
            comments = sorted(keys.comments)
            for row in await select_in(conn, v.subscriber_comments.c.comment_id, comments):
                ws.comments.loaded(row["comment_id"], row)

    async def write(self, conn: AsyncConnection, ws: WorkingSet) -> None:
        """Write every changed row of ``ws``; afterwards it holds what the tables hold."""
        v = self.views
        await self._write(conn, v.article_views, ws.articles)
        await self._write(conn, v.discipline_scores, ws.scores)
        await self._write(conn, v.active_ratings, ws.ratings)
        await self._write(conn, v.subscriber_comments, ws.comments)
        await self._write(conn, v.raters, ws.raters)
        await self._write(conn, v.disciplines, ws.disciplines)
        await self._write(conn, v.rating_versions, ws.rating_versions)
        await self._write_topics(conn, v.article_topics, ws.topics)

    def _writer(self, conn: AsyncConnection, table: Table) -> ViewWriter:
        """The table's bulk writer for the connection's backend (``ledger.projections.sqlite``,
        ``ledger.projections.postgres``), made once."""
        key = (conn.dialect.name, table.name)
        writer = self._writers.get(key)
        if writer is None:
            writer = self._writers[key] = view_backend(conn.dialect.name).writer(
                table, conn.dialect
            )
        return writer

    async def _write(self, conn: AsyncConnection, table: Table, rows: Rows) -> None:
        if not rows.changed:
            return
        gone: list[Any] = []
        kept: list[Row] = []
        new: list[Row] = []
        new_keys: list[Any] = []
        # In key order: an insert in key order appends to the primary key's index.
        for key in sorted(rows.changed):
            row = rows.rows[key]
            if row is None:
                if key in rows.stored:
                    gone.append(key)
            elif key in rows.stored:
                kept.append(row)
            else:
                new.append(row)
                new_keys.append(key)
        writer = self._writer(conn, table)
        if gone:
            await delete_in(conn, table, gone)
            rows.stored.difference_update(gone)
        if kept:
            await writer.upsert(conn, kept)
        if new:
            await writer.insert(conn, new)
            rows.stored.update(new_keys)
        rows.changed.clear()

    async def _write_topics(self, conn: AsyncConnection, table: Table, rows: Rows) -> None:
        if not rows.changed:
            return
        changed = sorted(rows.changed)
        replaced = [article_id for article_id in changed if article_id in rows.stored]
        if replaced:
            await delete_in(conn, table, replaced, column=table.c.article_id)
        new_rows = [
            {"article_id": article_id, "topic": topic, "ordinal": ordinal, "topic_key": fold(topic)}
            for article_id in changed
            for ordinal, topic in enumerate((rows.rows[article_id] or {}).get("topics", ()))
        ]
        if new_rows:
            await self._writer(conn, table).insert(conn, new_rows)
        rows.stored.update(changed)
        rows.changed.clear()


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


async def catch_up(store: SQLEventStore, projector: Projector) -> int:
    """Project every event after the live checkpoint, and after the alerts' own (a ledger
    migrated to the alerts projection has none yet); returns how many views' events were
    applied."""
    applied = 0
    async with store.transaction() as tx:
        await lock_head(tx.connection)  # no append may project while we fill the gap
        position = await checkpoint(tx.connection)
        while page := await tx.read_all(position, CATCH_UP_PAGE):
            await projector.project(tx.connection, page)
            await projector.requests.project(tx.connection, page)
            position = page[-1].position
            applied += len(page)
        await advance_checkpoints(tx.connection, position)
        await catch_up_alerts(tx.connection, tx, projector.alerts)
    return applied
