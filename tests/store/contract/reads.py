"""The store's contract, part two: reads, "as of", transactions, upcasting and the chain."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ledger.domain.errors import UnknownEventTypeStored
from ledger.domain.events import REGISTRY, EventRegistry, Payload
from ledger.store.records import Actor, NewEvent
from tests.store.contract.appends import EDITOR, retracted
from tests.store.contract.harness import Harness, first_broken

FLAGGED = "ArticleFlagged"
# Version 1 named the flagger in one "role:id" string and called the reason "note"; version 2
# splits the flagger and renames the note; version 3 adds a severity.
V1_PAYLOAD = {"article_id": "a1", "flagged_by": "editor:e-7", "note": "duplicate"}
V2_PAYLOAD = {
    "article_id": "a1",
    "flagged_by": {"role": "editor", "id": "e-7"},
    "reason": "duplicate",
}
V3_PAYLOAD = {**V2_PAYLOAD, "severity": "normal"}


def split_flagger(payload: Payload) -> Payload:
    role, _, person = payload["flagged_by"].partition(":")
    return {
        "article_id": payload["article_id"],
        "flagged_by": {"role": role, "id": person},
        "reason": payload["note"],
    }


def registry_at(version: int) -> EventRegistry:
    """The shared registry plus ``ArticleFlagged`` at ``version``, with its upcasters."""
    registry = REGISTRY.copy()
    registry.register(FLAGGED, schema_version=version)
    registry.upcaster(FLAGGED, 1)(split_flagger)
    registry.upcaster(FLAGGED, 2)(lambda payload: {**payload, "severity": "normal"})
    return registry


class ReadContract:
    async def test_a_stream_reads_up_to_a_version(self, harness: Harness) -> None:
        store = harness.store
        await store.append("article:a1", 0, [retracted(str(n)) for n in range(5)], actor=EDITOR)
        upto = await store.read_stream("article:a1", to_version=3)
        assert [e.stream_version for e in upto] == [1, 2, 3]

    async def test_a_stream_reads_as_it_stood_at_a_time(self, harness: Harness) -> None:
        store = harness.store
        await store.append("article:a1", 0, [retracted("early")], actor=EDITOR)
        await asyncio.sleep(0.01)
        cut = datetime.now(UTC)
        await asyncio.sleep(0.01)
        await store.append("article:a1", 1, [retracted("late")], actor=EDITOR)

        as_of = await store.read_stream("article:a1", as_of=cut)
        assert [e.payload["reason"] for e in as_of] == ["early"]
        assert await store.read_stream("article:a1", as_of=cut - timedelta(days=1)) == []
        # Any timezone names the same instant.
        elsewhere = cut.astimezone(ZoneInfo("America/Toronto"))
        assert [
            e.stream_version for e in await store.read_stream("article:a1", as_of=elsewhere)
        ] == [1]

    async def test_recorded_times_never_go_backwards_along_positions(
        self, harness: Harness
    ) -> None:
        store = harness.store
        for n in range(20):
            await store.append(f"article:s{n % 3}", None, [retracted(str(n))], actor=EDITOR)
        times = [e.metadata.recorded_at for e in await store.read_all()]
        assert times == sorted(times)

    async def test_the_global_log_reads_in_pages(self, harness: Harness) -> None:
        store = harness.store
        for n in range(7):
            await store.append(f"article:s{n}", 0, [retracted(str(n))], actor=EDITOR)
        first = await store.read_all(after=0, limit=3)
        second = await store.read_all(after=first[-1].position, limit=3)
        third = await store.read_all(after=second[-1].position, limit=3)
        assert [e.position for e in first + second + third] == list(range(1, 8))
        assert await store.read_all(after=7) == []
        assert [e.position async for e in store.iter_all(after=2, page=2)] == [3, 4, 5, 6, 7]

    async def test_a_transaction_appends_with_the_callers_own_work_or_not_at_all(
        self, harness: Harness
    ) -> None:
        store = harness.store

        class Abandon(Exception):
            pass

        with pytest.raises(Abandon):
            async with store.transaction() as tx:
                await tx.append("article:a1", 0, [retracted("x")], actor=EDITOR)
                raise Abandon
        assert (await store.head()).position == 0
        assert await store.stream_version("article:a1") == 0
        async with store.transaction() as tx:
            await tx.append("article:a1", 0, [retracted("x")], actor=EDITOR)
            await tx.append("article:b2", 0, [retracted("y")], actor=EDITOR)
        assert [e.stream_id for e in await store.read_all()] == ["article:a1", "article:b2"]

    async def test_a_transaction_reads_its_own_appends_and_nobody_else_does_before_it_commits(
        self, harness: Harness
    ) -> None:
        store = harness.store
        await store.append("article:a1", 0, [retracted("committed")], actor=EDITOR)
        async with store.transaction() as tx:
            await tx.append("article:a1", 1, [retracted("pending")], actor=EDITOR)
            inside = [e.payload["reason"] for e in await tx.read_stream("article:a1")]
            assert [e.position for e in await tx.read_all()] == [1, 2]
            assert [e.position for e in await store.read_all()] == [1]
            assert (await store.head()).position == 1
        assert inside == ["committed", "pending"]
        assert [e.position for e in await store.read_all()] == [1, 2]

    async def test_every_event_is_chained_to_the_one_before(self, harness: Harness) -> None:
        store = harness.store
        other = Actor("rater-2", "rater")
        await store.append("article:a1", 0, [retracted("x"), retracted("é ✓")], actor=EDITOR)
        await store.append(
            "article:b2", 0, [retracted("y")], actor=other, idempotency_key="k", causation_id="c"
        )
        async with store.transaction() as tx:
            await tx.append("article:a1", 2, [retracted("z")], actor=EDITOR)

        stored = await store.read_all()
        assert first_broken(stored) is None
        assert (await store.head()).hash == stored[-1].hash
        assert await harness.stored_chain_holds()

    async def test_an_event_stored_in_an_old_shape_reads_back_in_the_current_shape(
        self, harness: Harness
    ) -> None:
        store = harness.store_with(registry_at(2))
        result = await store.append(
            "article:a1", 0, [NewEvent(FLAGGED, V1_PAYLOAD, schema_version=1)], actor=EDITOR
        )
        assert result.events[0].schema_version == 1

        [from_stream] = await store.read_stream("article:a1")
        [from_log] = await store.read_all()

        for event in (from_stream, from_log):
            assert (event.type, event.schema_version) == (FLAGGED, 2)
            assert event.payload == V2_PAYLOAD
            assert event.hash == result.events[0].hash
        assert await harness.stored_chain_holds()

    async def test_upcasters_chain_through_every_version_in_order(self, harness: Harness) -> None:
        await harness.store_with(registry_at(2)).append(
            "article:a1",
            0,
            [
                NewEvent(FLAGGED, V1_PAYLOAD, schema_version=1),
                NewEvent(FLAGGED, V2_PAYLOAD, schema_version=2),
            ],
            actor=EDITOR,
        )

        read = await harness.store_with(registry_at(3)).read_stream("article:a1")

        assert [(e.schema_version, dict(e.payload)) for e in read] == [(3, V3_PAYLOAD)] * 2
        # Read in the shape it was stored in, the chain holds: reading rewrote nothing.
        assert first_broken(await harness.store_with(registry_at(1)).read_all()) is None
        assert await harness.stored_chain_holds()

    async def test_reading_an_event_of_an_unregistered_type_is_refused(
        self, harness: Harness
    ) -> None:
        await harness.store_with(registry_at(2)).append(
            "article:a1", 0, [NewEvent(FLAGGED, V1_PAYLOAD, schema_version=1)], actor=EDITOR
        )
        plain = harness.store_with(REGISTRY)

        with pytest.raises(UnknownEventTypeStored) as from_stream:
            await plain.read_stream("article:a1")
        with pytest.raises(UnknownEventTypeStored) as from_log:
            await plain.read_all()

        for refusal in (from_stream.value, from_log.value):
            assert (refusal.event_type, refusal.position) == (FLAGGED, 1)
            assert FLAGGED in str(refusal)
        # The chain does not depend on who can decode the events.
        assert await harness.stored_chain_holds()
