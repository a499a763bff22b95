"""Old event shapes are lifted on read; the stored rows, and so the chain, never change."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.audit.chain import verify_chain
from ledger.domain.errors import UnknownEventTypeStored
from ledger.domain.events import REGISTRY, EventRegistry, Payload
from ledger.store.canonical import canonical_json
from ledger.store.records import Actor, NewEvent
from ledger.store.sql_store import SQLEventStore
from ledger.store.tables import events

EDITOR = Actor("editor-1", "editor")
FLAGGED = "ArticleFlagged"
STREAM = "article:a1"

# Version 1 named the flagger in one "role:id" string and called the reason "note".
V1_PAYLOAD = {"article_id": "a1", "flagged_by": "editor:e-7", "note": "duplicate"}
# Version 2 splits the flagger and renames the note.
V2_PAYLOAD = {
    "article_id": "a1",
    "flagged_by": {"role": "editor", "id": "e-7"},
    "reason": "duplicate",
}
# Version 3 adds a severity, which every older flag had implicitly.
V3_PAYLOAD = {**V2_PAYLOAD, "severity": "normal"}


def split_flagger(payload: Payload) -> Payload:
    role, _, person = payload["flagged_by"].partition(":")
    return {
        "article_id": payload["article_id"],
        "flagged_by": {"role": role, "id": person},
        "reason": payload["note"],
    }


def add_severity(payload: Payload) -> Payload:
    return {**payload, "severity": "normal"}


def registry_at(version: int) -> EventRegistry:
    """The shared registry plus ``ArticleFlagged`` at ``version``, with its upcasters."""
    registry = REGISTRY.copy()
    registry.register(FLAGGED, schema_version=version)
    registry.upcaster(FLAGGED, 1)(split_flagger)
    registry.upcaster(FLAGGED, 2)(add_severity)
    return registry


async def stored(engine: AsyncEngine, position: int) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(select(events).where(events.c.position == position))).one()


def test_registry_copies_do_not_leak_into_the_shared_registry() -> None:
    registry = registry_at(2)
    assert registry.is_known(FLAGGED)
    assert not REGISTRY.is_known(FLAGGED)
    assert registry.current_version("ArticleRetracted") == 1


async def test_an_event_stored_in_an_old_shape_reads_back_in_the_current_shape(
    engine: AsyncEngine,
) -> None:
    store = SQLEventStore(engine, registry_at(2))
    result = await store.append(
        STREAM, 0, [NewEvent(FLAGGED, V1_PAYLOAD, schema_version=1)], actor=EDITOR
    )
    assert result.events[0].schema_version == 1

    [from_stream] = await store.read_stream(STREAM)
    [from_log] = await store.read_all()

    for event in (from_stream, from_log):
        assert event.type == FLAGGED
        assert event.schema_version == 2
        assert event.payload == V2_PAYLOAD
        assert event.hash == result.events[0].hash


async def test_the_stored_row_keeps_the_old_payload_and_the_chain_still_holds(
    engine: AsyncEngine,
) -> None:
    store = SQLEventStore(engine, registry_at(2))
    await store.append(STREAM, 0, [NewEvent(FLAGGED, V1_PAYLOAD, schema_version=1)], actor=EDITOR)
    await store.read_stream(STREAM)  # reading must not write anything back

    row = await stored(engine, 1)
    assert row.schema_version == 1
    assert row.payload == canonical_json(V1_PAYLOAD)
    assert row.payload == '{"article_id":"a1","flagged_by":"editor:e-7","note":"duplicate"}'
    report = await verify_chain(engine)
    assert report.ok, report
    assert report.checked_events == 1


async def test_an_event_already_in_the_current_shape_is_not_upcast(engine: AsyncEngine) -> None:
    calls: list[Payload] = []
    registry = REGISTRY.copy()
    registry.register(FLAGGED, schema_version=2)

    @registry.upcaster(FLAGGED, 1)
    def counting(payload: Payload) -> Payload:
        calls.append(payload)
        return split_flagger(payload)

    store = SQLEventStore(engine, registry)
    await store.append(STREAM, 0, [NewEvent(FLAGGED, V2_PAYLOAD)], actor=EDITOR)

    [event] = await store.read_stream(STREAM)

    assert (event.schema_version, event.payload) == (2, V2_PAYLOAD)
    assert (await stored(engine, 1)).schema_version == 2
    assert calls == []


async def test_upcasters_chain_through_every_version_in_order(engine: AsyncEngine) -> None:
    """Stored at 1 and at 2, a registry at 3 reads both at 3; the rows keep their versions."""
    await SQLEventStore(engine, registry_at(2)).append(
        STREAM,
        0,
        [
            NewEvent(FLAGGED, V1_PAYLOAD, schema_version=1),
            NewEvent(FLAGGED, V2_PAYLOAD, schema_version=2),
        ],
        actor=EDITOR,
    )

    read = await SQLEventStore(engine, registry_at(3)).read_stream(STREAM)

    assert [(e.schema_version, dict(e.payload)) for e in read] == [(3, V3_PAYLOAD)] * 2
    assert [(await stored(engine, p)).schema_version for p in (1, 2)] == [1, 2]
    assert json.loads((await stored(engine, 1)).payload) == V1_PAYLOAD
    assert (await verify_chain(engine)).ok


async def test_reading_an_event_of_an_unregistered_type_is_refused(engine: AsyncEngine) -> None:
    await SQLEventStore(engine, registry_at(2)).append(
        STREAM, 0, [NewEvent(FLAGGED, V1_PAYLOAD, schema_version=1)], actor=EDITOR
    )
    plain = SQLEventStore(engine, REGISTRY)

    with pytest.raises(UnknownEventTypeStored) as from_stream:
        await plain.read_stream(STREAM)
    with pytest.raises(UnknownEventTypeStored) as from_log:
        await plain.read_all()

    for refusal in (from_stream.value, from_log.value):
        assert refusal.event_type == FLAGGED
        assert refusal.position == 1
        assert FLAGGED in str(refusal)
    # The chain does not depend on who can decode the events.
    assert (await verify_chain(engine)).ok
