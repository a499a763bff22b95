"""The store's contract, part three: real writers racing, each on a store of its own."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

import pytest

from ledger.domain.errors import WrongExpectedVersion
from ledger.store.event_store import EventStore
from ledger.store.records import Actor, AppendResult, NewEvent
from tests.store.contract.harness import Harness, first_broken

WRITERS = 8
APPENDS_PER_WRITER = 260  # 2,080 appends in all
SHARED_STREAMS = [f"article:shared-{n}" for n in range(3)]
ACTOR = Actor("rater-1", "rater")


def _events(marker: str, count: int) -> list[NewEvent]:
    return [
        NewEvent("ArticleTopicsChanged", {"article_id": marker, "topics": [marker, str(n)]})
        for n in range(count)
    ]


@dataclass
class Tally:
    acknowledged: dict[str, AppendResult] = field(default_factory=dict)
    refused: set[str] = field(default_factory=set)


async def _writer(number: int, store: EventStore, tally: Tally) -> None:
    rng = random.Random(number)
    own_stream, own_version = f"article:own-{number}", 0
    for attempt in range(APPENDS_PER_WRITER):
        marker = f"w{number}-a{attempt}"
        count = rng.choice([1, 1, 1, 2, 3])
        if rng.random() < 0.5:
            result = await store.append(
                own_stream, own_version, _events(marker, count), actor=ACTOR
            )
            own_version = result.last_version
        else:
            # A shared stream: read, give the others their turn, then append at what was
            # read. Others race for it.
            stream = rng.choice(SHARED_STREAMS)
            version = await store.stream_version(stream)
            await asyncio.sleep(0)
            try:
                result = await store.append(stream, version, _events(marker, count), actor=ACTOR)
            except WrongExpectedVersion as conflict:
                assert conflict.actual > version
                tally.refused.add(marker)
                continue
        tally.acknowledged[marker] = result


async def _tail(store: EventStore, writers_done: asyncio.Event) -> list[int]:
    """Follow the global log as a consumer would, checking it never skips ahead."""
    seen: list[int] = []
    last = 0
    while True:
        finished = writers_done.is_set()
        page = await store.read_all(after=last, limit=97)
        for event in page:
            assert event.position == last + 1, f"saw {event.position} right after {last}"
            last = event.position
            seen.append(last)
        if finished and not page:
            return seen
        if not page:
            await asyncio.sleep(0.002)


class RaceContract:
    @pytest.mark.long(5)
    async def test_racing_writers_get_dense_commit_ordered_positions_exactly_once(
        self, harness: Harness
    ) -> None:
        store = harness.store
        tally = Tally()
        writers_done = asyncio.Event()
        async with harness.writers(WRITERS) as stores:
            tail = asyncio.create_task(_tail(store, writers_done))
            await asyncio.gather(*(_writer(n, s, tally) for n, s in enumerate(stores)))
            writers_done.set()
            seen = await tail

        stored = [event async for event in store.iter_all()]
        head = await store.head()
        assert [event.position for event in stored] == list(range(1, head.position + 1))
        assert seen == list(range(1, head.position + 1))

        by_marker: dict[str, list[int]] = {}
        for event in stored:
            by_marker.setdefault(event.payload["article_id"], []).append(event.position)
        # Every acknowledged append is stored once, where it was told; no refused one is.
        assert set(by_marker) == set(tally.acknowledged)
        assert not tally.refused & set(by_marker)
        for marker, result in tally.acknowledged.items():
            assert by_marker[marker] == list(range(result.first_position, result.last_position + 1))
        assert len(tally.acknowledged) + len(tally.refused) == WRITERS * APPENDS_PER_WRITER
        assert tally.refused, "the shared streams were never contended: the race did not happen"

        for stream in SHARED_STREAMS:
            versions = [e.stream_version for e in await store.read_stream(stream)]
            assert versions == list(range(1, len(versions) + 1))
        assert first_broken(stored) is None
        assert await harness.stored_chain_holds()

    async def test_racing_duplicate_idempotency_keys_store_one_append(
        self, harness: Harness
    ) -> None:
        events = _events("same-request", 2)
        async with harness.writers(WRITERS) as stores:
            results = await asyncio.gather(
                *(
                    s.append("article:dup", 0, events, actor=ACTOR, idempotency_key="submit-42")
                    for s in stores
                )
            )

        assert len({(r.first_position, r.last_position, r.last_version) for r in results}) == 1
        assert sorted(r.replayed for r in results) == [False] + [True] * (WRITERS - 1)
        stored = await harness.store.read_all()
        assert [e.position for e in stored] == [1, 2]
        assert {e.metadata.idempotency_key for e in stored} == {"submit-42"}
