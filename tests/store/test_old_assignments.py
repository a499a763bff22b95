"""Assignments stored before author raters existed (version 1: none named) read as naming
none: the stored rows keep their bytes and the chain holds, the article folds with no author
raters, a rebuild shows the same, and a new assignment on top names them."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from ledger.audit.chain import verify_chain
from ledger.domain import articles
from ledger.domain.commands import AssignDisciplines
from ledger.domain.events import REGISTRY, ArticleDisciplinesAssigned
from ledger.projections.memory import MemoryViews
from ledger.projections.projector import Projector, catch_up
from ledger.replay.rebuild import rebuild, verify_projections
from ledger.store.canonical import canonical_json
from ledger.store.memory import MemoryEventStore
from ledger.store.records import Actor, NewEvent
from ledger.store.sql_store import SQLEventStore
from ledger.store.tables import events
from ledger.use_cases.sample import SAMPLE_ARTICLE_ID, load_sample
from ledger.use_cases.service import EvidenceLedger
from ledger.use_cases.sql_views import sql_ledger
from tests.store.ledgers import append_as_written
from tests.store.test_sample import sample_view

ASSIGNED = "ArticleDisciplinesAssigned"
V1_FIELDS = {"article_id", "disciplines", "populations"}  # no author raters, no alert limit


def as_version_1(type_name: str, payload: Any) -> NewEvent:
    """An event as the code before author raters appended it: an assignment's payload had
    no ``author_raters``, and its schema version was 1."""
    if type_name != ASSIGNED:
        return NewEvent(type_name, dict(payload))
    return NewEvent(type_name, {k: v for k, v in payload.items() if k in V1_FIELDS}, 1)


def test_an_old_payload_decodes_with_no_author_raters() -> None:
    old = {"article_id": "a1", "disciplines": ["Nurse"], "populations": []}
    payload, version = REGISTRY.upcast(ASSIGNED, 1, old)
    assert version == 2
    assert REGISTRY.decode(ASSIGNED, payload) == ArticleDisciplinesAssigned(
        "a1", ("Nurse",), (), (), limits_alerts=False
    )
    assert old == {"article_id": "a1", "disciplines": ["Nurse"], "populations": []}


async def test_old_assignments_read_as_naming_no_author_raters_and_the_chain_holds(
    store: SQLEventStore,
) -> None:
    scratch = MemoryEventStore()
    await load_sample(EvidenceLedger(scratch, views=MemoryViews(scratch)))
    await append_as_written(scratch, store, as_version_1)
    await catch_up(store, Projector(registry=store.registry))

    async with store.engine.connect() as conn:
        [row] = (await conn.execute(select(events).where(events.c.event_type == ASSIGNED))).all()
    assert row.schema_version == 1
    assert set(json.loads(row.payload)) == V1_FIELDS  # as it was written: nothing added on read
    assert row.payload == canonical_json(json.loads(row.payload))
    assert (await verify_chain(store.engine)).ok

    stream = articles.stream_id(SAMPLE_ARTICLE_ID)
    history = await store.read_stream(stream)
    [assigned] = [e for e in history if e.type == ASSIGNED]
    assert assigned.payload["author_raters"] == []
    state = articles.fold(store.registry.decode(e.type, e.payload) for e in history)
    assert state is not None
    assert (state.disciplines, state.author_raters) == (("Physician",), ())

    report = await verify_projections(store)
    assert report.ok, report.mismatches[:3]
    view = await sample_view(store)
    await rebuild(store)
    assert await sample_view(store) == view

    # A new assignment on top of the old one names an author rater, in version 2.
    ledger = sql_ledger(store)
    editor = Actor("editor-1", "editor")
    await ledger.execute(
        AssignDisciplines(SAMPLE_ARTICLE_ID, ["Physician"], author_raters=["sample-physician-4"]),
        actor=editor,
    )
    state = articles.fold(
        store.registry.decode(e.type, e.payload) for e in await store.read_stream(stream)
    )
    assert state is not None
    assert state.author_raters == ("sample-physician-4",)
    assert (await verify_chain(store.engine)).ok
    assert (await verify_projections(store)).ok
