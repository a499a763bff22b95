"""An article as it stood at a version or a time, folded from its stream.

The stream's events go through the projector's own fold into rows held in memory, and the
rows become a view by the same code that reads the live tables: a past view can differ
from what was live at that moment only if the projection itself was wrong (or, for the
public, by the comments hidden since).
"""

from __future__ import annotations

from datetime import datetime

from ledger.domain.articles import stream_id
from ledger.domain.events import ArticleDisciplinesAssigned
from ledger.domain.scores import ScorePolicy
from ledger.projections.fold import WorkingSet, apply
from ledger.projections.projector import Projector
from ledger.read.articles import ArticleView, view_of
from ledger.read.scores import assigned_only
from ledger.store.records import RecordedEvent
from ledger.store.sql_store import SQLEventStore

__all__ = ["article_as_of"]


async def article_as_of(
    store: SQLEventStore,
    article_id: str,
    policy: ScorePolicy,
    *,
    as_of: datetime | None = None,
    at_version: int | None = None,
    include_hidden: bool = False,
) -> ArticleView | None:
    """None when the article did not exist yet at that point (or never did).

    A comment hidden since is left out unless ``include_hidden``: a hiding takes a comment
    from the public for good, the views of its past included."""
    history = await store.read_stream(stream_id(article_id), to_version=at_version, as_of=as_of)
    if not history:
        return None
    ws, assigned = _folded(store, history)
    hidden_now = set() if include_hidden else await _hidden_now(store, article_id)
    article = ws.articles.get(article_id)
    assert article is not None, "an article stream starts with its registration"
    topics = ws.topics.get(article_id) or {"topics": ()}
    return view_of(
        article,
        topics["topics"],
        assigned_only((row for row in ws.scores.rows.values() if row is not None), assigned),
        assigned_only((row for row in ws.ratings.rows.values() if row is not None), assigned),
        [
            row
            for row in ws.comments.rows.values()
            if row is not None and row["comment_id"] not in hidden_now
        ],
        policy,
        include_hidden=include_hidden,
    )


def _folded(
    store: SQLEventStore, history: list[RecordedEvent]
) -> tuple[WorkingSet, tuple[str, ...] | None]:
    """The views' rows folded from the history, and the disciplines the article was
    assigned by then (None: none yet), whose scores alone show."""
    ws, assigned = WorkingSet(), None
    for fact in Projector(registry=store.registry).facts(history):
        apply(ws, fact)
        if isinstance(fact.event, ArticleDisciplinesAssigned):
            assigned = fact.event.disciplines
    return ws, assigned


async def _hidden_now(store: SQLEventStore, article_id: str) -> set[str]:
    """The ids of the article's comments that are hidden as it stands now."""
    ws, _ = _folded(store, await store.read_stream(stream_id(article_id)))
    return {row["comment_id"] for row in ws.comments.rows.values() if row and row["hidden"]}
