"""Helpers for use-case tests: a ledger with disciplines and raters, articles, and views."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ledger.domain.commands import EnrolRater, RegisterArticle, RegisterDiscipline
from ledger.domain.scores import DisciplineScore, ScorePolicy
from ledger.projections.projector import Projector, catch_up
from ledger.projections.tables import ALERTS, live_views, projection_checkpoints
from ledger.read.articles import ArticleView, article_views
from ledger.store.event_store import EventLog
from ledger.store.records import Actor, NewEvent
from ledger.store.sql_store import SQLEventStore
from ledger.store.tables import people
from ledger.use_cases.service import EvidenceLedger
from ledger.use_cases.sql_views import sql_ledger

EDITOR = Actor("editor-1", "editor")
DISCIPLINES = ("Physician", "Nurse")


def rater(rater_id: str) -> Actor:
    return Actor(rater_id, "rater")


def subscriber(subscriber_id: str) -> Actor:
    return Actor(subscriber_id, "subscriber")


def citation(title: str = "A trial of something", **changes: Any) -> dict[str, Any]:
    """A complete, valid citation; ``changes`` override single fields."""
    return {
        "title": title,
        "authors": ["Doe J", "Roe R"],
        "journal": "Journal of Trials",
        "journal_abbreviation": "J Trials",
        "published_on": "2023-05-17",
        "volume": "12",
        "issue": "3",
        "pages": "101-110",
        "doi": "10.1234/jt.2023.101",
        "pmid": "31234567",
        "publication_note": "eCollection 2023",
        "study_type": "Randomized controlled trial",
        "abstract": "We tried something on some people and measured what happened.",
        **changes,
    }


async def ledger_with_raters(
    store: SQLEventStore,
    raters: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    *,
    disciplines: Iterable[str] = DISCIPLINES,
) -> EvidenceLedger:
    """An EvidenceLedger whose disciplines are registered and raters (id -> discipline) enrolled."""
    ledger = sql_ledger(store)
    for name in disciplines:
        await ledger.execute(RegisterDiscipline(name), actor=EDITOR)
    pairs = raters.items() if isinstance(raters, Mapping) else raters
    for rater_id, discipline in pairs:
        await ledger.execute(EnrolRater(rater_id=rater_id, discipline=discipline), actor=EDITOR)
    return ledger


async def register(
    ledger: EvidenceLedger,
    article_id: str,
    topics: Iterable[str] = ("Back Pain",),
    **citation_changes: Any,
) -> None:
    await ledger.execute(
        RegisterArticle(
            article_id=article_id, citation=citation(**citation_changes), topics=list(topics)
        ),
        actor=EDITOR,
    )


async def view(
    engine: AsyncEngine,
    article_id: str,
    *,
    include_hidden: bool = False,
    policy: ScorePolicy | None = None,
) -> ArticleView | None:
    """The article as a reader sees it now, or None when there is no view of it."""
    async with engine.connect() as conn:
        found = await article_views(
            conn, [article_id], policy or ScorePolicy(), include_hidden=include_hidden
        )
    return found.get(article_id)


async def scores(engine: AsyncEngine, article_id: str) -> dict[str, DisciplineScore]:
    """The article's discipline scores by discipline name."""
    found = await view(engine, article_id)
    assert found is not None, f"no view of article {article_id}"
    return {score.discipline: score for score in found.discipline_scores}


async def people_count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(people)) or 0)


async def view_tables_dump(engine: AsyncEngine) -> dict[str, list[dict[str, Any]]]:
    """Every live view table's rows, in key order: the whole read side, for comparisons."""
    dump: dict[str, list[dict[str, Any]]] = {}
    async with engine.connect() as conn:
        for table in live_views.all():
            query = select(table).order_by(*table.primary_key.columns)
            dump[table.name] = [dict(row._mapping) for row in await conn.execute(query)]
    return dump


async def bulk_comments(store: SQLEventStore, article_id: str, count: int) -> None:
    """Lengthen the log fast: ``count`` subscriber comments appended straight to the store
    in large batches, then projected by a catch-up, as an import would."""
    for start in range(0, count, 1000):
        batch = [
            NewEvent(
                "CommentPosted",
                {
                    "article_id": article_id,
                    "comment_id": f"{article_id}.bulk{n}",
                    "author_id": f"bulk-{n % 50}",
                    "body": f"Bulk comment number {n}.",
                },
            )
            for n in range(start, min(start + 1000, count))
        ]
        await store.append(f"article:{article_id}", None, batch, actor=EDITOR)
    await catch_up(store, Projector(registry=store.registry))


async def append_as_written(
    source: EventLog, store: SQLEventStore, written: Callable[[str, Any], NewEvent]
) -> None:
    """Every event of ``source``, in order, appended to ``store`` in the shape ``written``
    gives it (the payload an older version of the code stored, say), by the same actors."""
    for e in await source.read_all(0, 100_000):
        await store.append(
            e.stream_id, e.stream_version - 1, [written(e.type, e.payload)], actor=e.metadata.actor
        )


async def alerts_left_behind(conn: AsyncConnection) -> None:
    """The alerts' tables empty and their checkpoint at the start, as the migration that
    brought the alerts leaves an existing ledger: the next append finds them behind."""
    for table in live_views.alerts():
        await conn.execute(delete(table))
    await conn.execute(
        update(projection_checkpoints)
        .where(projection_checkpoints.c.name == ALERTS)
        .values(position=0)
    )
