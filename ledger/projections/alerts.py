"""The alerts projection: the due alerts, folded from the log with a checkpoint of its own.

Fed in the append's transaction after the other views (``ledger.use_cases.sql_views``), so
an alert is due exactly when the event that made it due is committed: a crash neither loses
nor repeats one. A batch of events is folded through the alert rule's ``AlertBook``
(``ledger.domain.alert_rule``), loaded with only what the batch can read: the facts of the
articles it touches, who was already sent them, and the profiles of the disciplines it
concerns. Rebuild and verify run the same code over the whole log (``ledger.replay``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.domain.alert_rule import ARTICLE, ARTICLE_FACTS, AlertBook, ArticleFacts, DueAlert
from ledger.domain.alerts import AlertProfile
from ledger.domain.events import (
    REGISTRY,
    AlertProfileCleared,
    AlertProfileSet,
    ArticleRegistered,
    EventRegistry,
    RatingRevised,
    RatingSubmitted,
    RatingWithdrawn,
)
from ledger.domain.scores import ScorePolicy
from ledger.projections.fold import Fact
from ledger.projections.tables import ALERTS, ViewTables, live_views, projection_checkpoints
from ledger.store.event_store import EventLog
from ledger.store.in_lists import delete_in, select_in
from ledger.store.records import RecordedEvent

__all__ = ["AlertProjector", "advance_alerts", "alerts_checkpoint", "catch_up_alerts"]

CATCH_UP_PAGE = 2000


def _json(value: Any) -> str:
    """One text for one value, so a replay's rows equal the live ones byte for byte."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class AlertProjector:
    """Folds events into the alerts tables of ``views`` (the live ones, or a replay's)."""

    def __init__(
        self,
        views: ViewTables = live_views,
        registry: EventRegistry = REGISTRY,
        policy: ScorePolicy | None = None,
    ) -> None:
        self.views = views
        self.registry = registry
        # The minimum of active ratings a discipline needs before it can meet a profile:
        # the inclusion threshold's. Fixed per projection, so a replay decides the same.
        self.minimum = (policy or ScorePolicy()).min_ratings_for_threshold

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

    async def project_facts(self, conn: AsyncConnection, facts: Sequence[Fact]) -> list[DueAlert]:
        """Fold ``facts`` in and write what changed; returns the alerts they made due."""
        book = AlertBook(self.minimum)
        await self._load(conn, book, facts)
        due: list[tuple[DueAlert, Any]] = []
        profiles_set: dict[str, Fact] = {}
        articles: set[str] = set()
        for fact in facts:
            event = fact.event
            due += [(alert, fact.recorded_at) for alert in book.apply(event, fact.position)]
            if isinstance(event, AlertProfileSet | AlertProfileCleared):
                profiles_set[event.subscriber_id] = fact
            elif isinstance(event, ARTICLE_FACTS):
                articles.add(event.article_id)
        await self._write_articles(conn, book, sorted(articles))
        await self._write_profiles(conn, book, profiles_set)
        if due:
            await conn.execute(insert(self.views.due_alerts), [_due_row(a, at) for a, at in due])
        return [alert for alert, _ in due]

    async def _load(self, conn: AsyncConnection, book: AlertBook, facts: Sequence[Fact]) -> None:
        """Load into ``book`` the rows ``facts`` can read."""
        v = self.views
        created = {f.event.article_id for f in facts if isinstance(f.event, ArticleRegistered)}
        touched = {f.event.article_id for f in facts if isinstance(f.event, ARTICLE_FACTS)}
        touched -= created
        disciplines = {
            f.event.discipline
            for f in facts
            if isinstance(f.event, RatingSubmitted | RatingRevised | RatingWithdrawn)
        }
        for row in await select_in(conn, v.alert_articles.c.article_id, sorted(touched)):
            book.articles[row["article_id"]] = _article_of(row)
        for article in book.articles.values():
            disciplines |= article.disciplines()
        for row in await select_in(conn, v.due_alerts.c.article_id, sorted(touched)):
            book.sent.setdefault(row["article_id"], set()).add((row["subscriber_id"], row["kind"]))
        subscribers = {
            f.event.subscriber_id
            for f in facts
            if isinstance(f.event, AlertProfileSet | AlertProfileCleared)
        }
        # Who was sent every article the events touch can be sent none of them again (once
        # per article and subscriber), so their profiles need not be read: once an article
        # has gone out to most of a discipline, a rating of it reads the few still unsent.
        settled = _sent_all(book, touched) if touched and not created else set()
        for row in await select_in(conn, v.alert_interests.c.discipline, sorted(disciplines)):
            if row["subscriber_id"] not in settled:
                subscribers.add(row["subscriber_id"])
        for row in await select_in(conn, v.alert_profiles.c.subscriber_id, sorted(subscribers)):
            book.set_profile(_profile_of(row))

    async def _write_articles(
        self, conn: AsyncConnection, book: AlertBook, article_ids: list[str]
    ) -> None:
        table = self.views.alert_articles
        rows = [_article_row(a, book.articles[a]) for a in article_ids if a in book.articles]
        await delete_in(conn, table, article_ids)
        if rows:
            await conn.execute(insert(table), rows)

    async def _write_profiles(
        self, conn: AsyncConnection, book: AlertBook, changed: dict[str, Fact]
    ) -> None:
        """Each changed subscriber's profile as it now stands (none, when cleared)."""
        v = self.views
        subscribers = sorted(changed)
        await delete_in(conn, v.alert_profiles, subscribers)
        await delete_in(
            conn, v.alert_interests, subscribers, column=v.alert_interests.c.subscriber_id
        )
        profiles = [book.profiles[s] for s in subscribers if s in book.profiles]
        if not profiles:
            return
        await conn.execute(
            insert(v.alert_profiles),
            [_profile_row(p, changed[p.subscriber_id]) for p in profiles],
        )
        interests = [
            {"discipline": d, "subscriber_id": p.subscriber_id}
            for p in profiles
            for d in p.disciplines
        ]
        await conn.execute(insert(v.alert_interests), interests)


def _sent_all(book: AlertBook, article_ids: set[str]) -> set[str]:
    """The subscribers each of these articles was already sent to."""
    sent = [{s for s, kind in book.sent.get(a, ()) if kind == ARTICLE} for a in article_ids]
    return set.intersection(*sent)


def _article_of(row: Any) -> ArticleFacts:
    ratings = {k: (v[0], v[1], v[2]) for k, v in json.loads(row["ratings"]).items()}
    assigned = None if row["assigned"] is None else tuple(json.loads(row["assigned"]))
    return ArticleFacts(
        row["study_type"],
        tuple(json.loads(row["topics"])),
        bool(row["retracted"]),
        ratings,
        assigned,
    )


def _article_row(article_id: str, article: ArticleFacts) -> dict[str, Any]:
    return {
        "article_id": article_id,
        "study_type": article.study_type,
        "topics": _json(list(article.topics)),
        "retracted": article.retracted,
        "ratings": _json({k: list(v) for k, v in article.ratings.items()}),
        "assigned": None if article.assigned is None else _json(list(article.assigned)),
    }


def _profile_of(row: Any) -> AlertProfile:
    return AlertProfile(
        subscriber_id=row["subscriber_id"],
        disciplines=tuple(json.loads(row["disciplines"])),
        relevance_cutoff=row["relevance_cutoff"],
        newsworthiness_cutoff=row["newsworthiness_cutoff"],
        topics=tuple(json.loads(row["topics"])),
        study_types=tuple(json.loads(row["study_types"])),
        delivery=row["delivery"],
        contact_id=row["contact_id"],
    )


def _profile_row(profile: AlertProfile, fact: Fact) -> dict[str, Any]:
    return {
        "subscriber_id": profile.subscriber_id,
        "disciplines": _json(list(profile.disciplines)),
        "relevance_cutoff": profile.relevance_cutoff,
        "newsworthiness_cutoff": profile.newsworthiness_cutoff,
        "topics": _json(list(profile.topics)),
        "study_types": _json(list(profile.study_types)),
        "delivery": profile.delivery,
        "contact_id": profile.contact_id,
        "set_position": fact.position,
        "set_at": fact.recorded_at,
    }


def _due_row(alert: DueAlert, due_at: Any) -> dict[str, Any]:
    return {
        "alert_id": alert.alert_id,
        "subscriber_id": alert.subscriber_id,
        "article_id": alert.article_id,
        "kind": alert.kind,
        "discipline": alert.discipline,
        "position": alert.position,
        "due_at": due_at,
    }


async def alerts_checkpoint(conn: AsyncConnection) -> int:
    position = await conn.scalar(
        select(projection_checkpoints.c.position).where(projection_checkpoints.c.name == ALERTS)
    )
    return int(position or 0)


async def advance_alerts(conn: AsyncConnection, position: int, *, after: int | None = None) -> bool:
    """Move the alerts checkpoint to ``position`` (with ``after``: only from exactly there);
    False when it was not there, so that nothing is projected over a gap."""
    statement = (
        update(projection_checkpoints)
        .where(projection_checkpoints.c.name == ALERTS)
        .values(position=position)
    )
    if after is not None:
        statement = statement.where(projection_checkpoints.c.position == after)
    return bool((await conn.execute(statement)).rowcount == 1)


async def catch_up_alerts(conn: AsyncConnection, log: EventLog, projector: AlertProjector) -> int:
    """Project every event after the alerts checkpoint (the caller holds the ledger head);
    returns how many were applied."""
    position = start = await alerts_checkpoint(conn)
    while page := await log.read_all(position, CATCH_UP_PAGE):
        await projector.project(conn, page)
        position = page[-1].position
    await advance_alerts(conn, position)
    return position - start
