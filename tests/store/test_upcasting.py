"""Old event shapes are lifted on read; the stored rows, and so the chain, never change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.audit.chain import verify_chain
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
