"""A replay decodes each event as the store does: older shapes upcast, unknown types refused."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.domain.errors import UnknownEventTypeStored
from ledger.domain.events import REGISTRY, EventRegistry
from ledger.replay.rebuild import rebuild
from ledger.store.records import NewEvent
from ledger.store.sql_store import SQLEventStore
from tests.store.ledgers import EDITOR, view, view_tables_dump


def registry_with_comments_at_version_2() -> EventRegistry:
    """The shared registry, but ``CommentPosted`` at version 2: some comments of version 1
    called their body ``text``."""
    registry = EventRegistry()
    for name, cls in REGISTRY.classes().items():
        version = 2 if name == "CommentPosted" else REGISTRY.current_version(name)
        registry.register(name, cls, schema_version=version)

    @registry.upcaster("CommentPosted", 1)
    def renamed_body(payload: dict[str, object]) -> dict[str, object]:
        if "text" not in payload:
            return payload
        return {**{k: v for k, v in payload.items() if k != "text"}, "body": payload["text"]}

    return registry


async def test_a_replay_reads_each_event_as_the_store_reads_it(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    """The replay decodes with the store's decoder: an event stored in an older shape is
    folded in its current one, and a type the ledger does not know stops the rebuild,
    naming its position, with the live views left as they were."""
    upcasting = SQLEventStore(engine, registry_with_comments_at_version_2())
    old = {"comment_id": "old-1", "article_id": "a1", "author_id": "s1", "text": "From before"}
    await upcasting.append(
        "article:a1", None, [NewEvent("CommentPosted", old, schema_version=1)], actor=EDITOR
    )

    await rebuild(upcasting, partitions=1)

    a1 = await view(engine, "a1")
    assert a1 is not None
    assert "From before" in [c.body for c in a1.subscriber_comments]

    knowing = REGISTRY.copy()
    knowing.register("ArticleFlagged")
    flagged = await SQLEventStore(engine, knowing).append(
        "article:a2", None, [NewEvent("ArticleFlagged", {"article_id": "a2"})], actor=EDITOR
    )
    before = await view_tables_dump(engine)

    with pytest.raises(UnknownEventTypeStored) as refused:
        await rebuild(SQLEventStore(engine, registry_with_comments_at_version_2()), partitions=1)

    assert (refused.value.event_type, refused.value.position) == (
        "ArticleFlagged",
        flagged.first_position,
    )
    assert await view_tables_dump(engine) == before
