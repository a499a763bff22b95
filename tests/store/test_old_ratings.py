"""Ratings stored before the full rating form (version 1: both scales, always) read as they
did: the stored rows keep their bytes and the chain holds, the views, a rebuild and time
travel show the same scores, and the sample record still draws "Physician 6 / 7"."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from ledger.audit.chain import verify_chain
from ledger.domain.scores import ScorePolicy
from ledger.projections.memory import MemoryViews
from ledger.projections.projector import Projector, catch_up
from ledger.read.time_travel import article_as_of
from ledger.replay.rebuild import rebuild, verify_projections
from ledger.store.canonical import canonical_json
from ledger.store.memory import MemoryEventStore
from ledger.store.records import NewEvent
from ledger.store.sql_store import SQLEventStore
from ledger.store.tables import events
from ledger.use_cases.sample import SAMPLE_ARTICLE_ID, load_sample
from ledger.use_cases.service import EvidenceLedger
from tests.store.ledgers import append_as_written
from tests.store.test_sample import SEED_RECORD, render_like_the_reference_page, sample_view

RATINGS = ("RatingSubmitted", "RatingRevised")
NEW_ANSWERS = ("newsworthiness_unknown", "beyond_expertise")
V1_FIELDS = {
    "article_id",
    "rating_id",
    "rater_id",
    "discipline",
    "relevance",
    "newsworthiness",
    "comment",
}


def as_version_1(type_name: str, payload: Any) -> NewEvent:
    """An event as the code before the rating form appended it: a rating's payload had
    neither of the new answers, and its schema version was 1."""
    if type_name not in RATINGS:
        return NewEvent(type_name, dict(payload))
    old = {k: v for k, v in payload.items() if k not in NEW_ANSWERS}
    return NewEvent(type_name, old, schema_version=1)


async def store_the_sample_as_version_1(store: SQLEventStore) -> None:
    """The sample's events, decided by today's code in memory, appended to ``store`` in the
    shapes the older code stored; the views then catch up from the log."""
    scratch = MemoryEventStore()
    await load_sample(EvidenceLedger(scratch, views=MemoryViews(scratch)))
    await append_as_written(scratch, store, as_version_1)
    await catch_up(store, Projector(registry=store.registry))


async def test_old_ratings_read_as_before_and_the_seed_record_still_draws(
    store: SQLEventStore,
) -> None:
    await store_the_sample_as_version_1(store)

    async with store.engine.connect() as conn:
        rows = (
            await conn.execute(select(events).where(events.c.event_type == "RatingSubmitted"))
        ).all()
    assert len(rows) == 3
    for row in rows:
        assert row.schema_version == 1
        stored = json.loads(row.payload)
        assert set(stored) == V1_FIELDS  # as it was written: nothing added on read
        assert row.payload == canonical_json(stored)
    assert (await verify_chain(store.engine)).ok

    view = await sample_view(store)
    assert render_like_the_reference_page(view) == SEED_RECORD.read_text(encoding="utf-8")
    [physician] = view.discipline_scores
    assert (physician.score, physician.rating_count, physician.newsworthiness_count) == (6, 3, 3)
    assert physician.newsworthiness is not None

    report = await verify_projections(store)
    assert report.ok, report.mismatches[:3]
    await rebuild(store)
    assert await sample_view(store) == view
    past = await article_as_of(store, SAMPLE_ARTICLE_ID, ScorePolicy())
    assert past is not None
    assert past.discipline_scores == view.discipline_scores
