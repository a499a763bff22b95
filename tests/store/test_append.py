"""What an append promises, read back through every kind of read."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from ledger.domain.errors import IdempotencyKeyReused, WrongExpectedVersion
from ledger.store.canonical import GENESIS_HASH
from ledger.store.records import Actor, NewEvent
from ledger.store.sql_store import SQLEventStore

EDITOR = Actor("editor-7", "editor")


def retracted(reason: str) -> NewEvent:
    return NewEvent("ArticleRetracted", {"article_id": "a1", "reason": reason})


async def test_versions_and_positions_start_at_one_and_carry_on(store: SQLEventStore) -> None:
    first = await store.append("article:a1", 0, [retracted("one")], actor=EDITOR)
    second = await store.append(
        "article:a1", 1, [retracted("two"), retracted("three")], actor=EDITOR
    )
    other = await store.append("article:b2", 0, [retracted("four")], actor=EDITOR)

    assert (first.first_position, first.last_position, first.last_version) == (1, 1, 1)
    assert (second.first_position, second.last_position) == (2, 3)
    assert (second.first_version, second.last_version) == (2, 3)
    assert (other.first_position, other.first_version) == (4, 1)
    assert await store.stream_version("article:a1") == 3
    assert await store.stream_version("article:none") == 0
    assert [e.payload["reason"] for e in await store.read_stream("article:a1")] == [
        "one",
        "two",
        "three",
    ]


async def test_every_event_carries_its_metadata(store: SQLEventStore) -> None:
    before = datetime.now(UTC)
    result = await store.append(
        "article:a1",
        0,
        [retracted("why")],
        actor=EDITOR,
        idempotency_key="retract-a1",
        correlation_id="request-9",
        causation_id="command-3",
    )
    [event] = await store.read_stream("article:a1")
    assert event.metadata.actor == EDITOR
    assert event.metadata.idempotency_key == "retract-a1"
    assert event.metadata.correlation_id == "request-9"
    assert event.metadata.causation_id == "command-3"
    assert event.metadata.recorded_at.tzinfo is not None
    assert before <= event.metadata.recorded_at <= datetime.now(UTC)
    assert event.metadata.recorded_at == result.recorded_at
    assert event.hash == result.events[0].hash
    assert event == result.events[0]


async def test_a_correlation_id_is_made_when_none_is_given(store: SQLEventStore) -> None:
    await store.append("article:a1", 0, [retracted("x")], actor=EDITOR)
    [event] = await store.read_all()
    assert len(event.metadata.correlation_id) == 36


async def test_the_head_follows_the_last_event(store: SQLEventStore) -> None:
    empty = await store.head()
    assert (empty.position, empty.hash) == (0, GENESIS_HASH)
    await store.append("article:a1", 0, [retracted("x"), retracted("y")], actor=EDITOR)
    head = await store.head()
    [_, last] = await store.read_all()
    assert (head.position, head.hash) == (2, last.hash)


async def test_a_stale_expected_version_is_a_conflict_that_writes_nothing(
    store: SQLEventStore,
) -> None:
    await store.append("article:a1", 0, [retracted("x"), retracted("y")], actor=EDITOR)
    with pytest.raises(WrongExpectedVersion) as refused:
        await store.append("article:a1", 1, [retracted("late")], actor=EDITOR)
    assert (refused.value.stream_id, refused.value.expected, refused.value.actual) == (
        "article:a1",
        1,
        2,
    )
    with pytest.raises(WrongExpectedVersion):
        await store.append("article:a1", 0, [retracted("as if new")], actor=EDITOR)
    assert (await store.head()).position == 2


async def test_no_expected_version_appends_at_the_end(store: SQLEventStore) -> None:
    await store.append("article:a1", None, [retracted("x")], actor=EDITOR)
    result = await store.append("article:a1", None, [retracted("y")], actor=EDITOR)
    assert result.last_version == 2


async def test_a_repeated_idempotency_key_returns_the_first_answer(store: SQLEventStore) -> None:
    first = await store.append("article:a1", 0, [retracted("x")], actor=EDITOR, idempotency_key="k")
    await store.append("article:a1", 1, [retracted("y")], actor=EDITOR)
    again = await store.append("article:a1", 0, [retracted("x")], actor=EDITOR, idempotency_key="k")
    assert again.replayed
    assert not first.replayed
    assert (again.first_position, again.last_version) == (first.first_position, 1)
    assert again.recorded_at == first.recorded_at
    assert (await store.head()).position == 2
    found = await store.find_append("k", actor=EDITOR)
    assert found is not None
    assert found.last_position == first.last_position
    assert await store.find_append("never-used", actor=EDITOR) is None


async def test_a_key_reused_for_other_events_is_refused(store: SQLEventStore) -> None:
    await store.append("article:a1", 0, [retracted("x")], actor=EDITOR, idempotency_key="k")
    with pytest.raises(IdempotencyKeyReused):
        await store.append(
            "article:a1", 1, [retracted("something else")], actor=EDITOR, idempotency_key="k"
        )
    with pytest.raises(IdempotencyKeyReused):
        await store.append("article:b2", 0, [retracted("x")], actor=EDITOR, idempotency_key="k")
    assert (await store.head()).position == 1


async def test_the_same_key_from_two_actors_is_two_unrelated_appends(store: SQLEventStore) -> None:
    other = Actor("subscriber-3", "subscriber")
    first = await store.append("article:a1", 0, [retracted("x")], actor=EDITOR, idempotency_key="k")

    second = await store.append(
        "article:b2", 0, [retracted("other")], actor=other, idempotency_key="k"
    )
    same_again = await store.append(
        "article:a1", 1, [retracted("x")], actor=other, idempotency_key="k2"
    )

    assert not second.replayed
    assert (first.first_position, second.first_position) == (1, 2)
    assert not same_again.replayed
    # Each actor's retry replays its own first answer, not the other's.
    again = await store.append("article:a1", 0, [retracted("x")], actor=EDITOR, idempotency_key="k")
    other_again = await store.append(
        "article:b2", 0, [retracted("other")], actor=other, idempotency_key="k"
    )
    assert (again.replayed, again.first_position) == (True, 1)
    assert (other_again.replayed, other_again.first_position) == (True, 2)
    assert (await store.head()).position == 3
    editors = await store.find_append("k", actor=EDITOR)
    others = await store.find_append("k", actor=other)
    assert editors is not None
    assert editors.stream_id == "article:a1"
    assert others is not None
    assert others.stream_id == "article:b2"
    assert await store.find_append("k2", actor=EDITOR) is None


async def test_an_actor_reusing_its_own_key_for_other_events_is_refused_beside_another_actor(
    store: SQLEventStore,
) -> None:
    other = Actor("rater-9", "rater")
    await store.append("article:a1", 0, [retracted("x")], actor=EDITOR, idempotency_key="k")
    await store.append("article:b2", 0, [retracted("x")], actor=other, idempotency_key="k")

    with pytest.raises(IdempotencyKeyReused):
        await store.append("article:c3", 0, [retracted("x")], actor=other, idempotency_key="k")
    with pytest.raises(IdempotencyKeyReused):
        await store.find_append("k", "another fingerprint", actor=other)
    assert (await store.head()).position == 2


async def test_a_stream_reads_up_to_a_version(store: SQLEventStore) -> None:
    await store.append("article:a1", 0, [retracted(str(n)) for n in range(5)], actor=EDITOR)
    upto = await store.read_stream("article:a1", to_version=3)
    assert [e.stream_version for e in upto] == [1, 2, 3]


async def test_a_stream_reads_as_it_stood_at_a_time(store: SQLEventStore) -> None:
    await store.append("article:a1", 0, [retracted("early")], actor=EDITOR)
    await asyncio.sleep(0.01)
    cut = datetime.now(UTC)
    await asyncio.sleep(0.01)
    await store.append("article:a1", 1, [retracted("late")], actor=EDITOR)

    as_of = await store.read_stream("article:a1", as_of=cut)
    assert [e.payload["reason"] for e in as_of] == ["early"]
    assert await store.read_stream("article:a1", as_of=cut - timedelta(days=1)) == []
    # Any timezone names the same instant.
    elsewhere = cut.astimezone(__import__("zoneinfo").ZoneInfo("America/Toronto"))
    assert [e.stream_version for e in await store.read_stream("article:a1", as_of=elsewhere)] == [1]


async def test_recorded_times_never_go_backwards_along_positions(store: SQLEventStore) -> None:
    for n in range(20):
        await store.append(f"article:s{n % 3}", None, [retracted(str(n))], actor=EDITOR)
    times = [e.metadata.recorded_at for e in await store.read_all()]
    assert times == sorted(times)


async def test_the_global_log_reads_in_pages(store: SQLEventStore) -> None:
    for n in range(7):
        await store.append(f"article:s{n}", 0, [retracted(str(n))], actor=EDITOR)
    first = await store.read_all(after=0, limit=3)
    second = await store.read_all(after=first[-1].position, limit=3)
    third = await store.read_all(after=second[-1].position, limit=3)
    assert [e.position for e in first + second + third] == list(range(1, 8))
    assert await store.read_all(after=7) == []
    assert [e.position async for e in store.iter_all(after=2, page=2)] == [3, 4, 5, 6, 7]


async def test_a_transaction_appends_with_the_callers_own_work_or_not_at_all(
    store: SQLEventStore,
) -> None:
    class Abandon(Exception):
        pass

    with pytest.raises(Abandon):
        async with store.transaction() as tx:
            await tx.append("article:a1", 0, [retracted("x")], actor=EDITOR)
            raise Abandon
    assert (await store.head()).position == 0
    async with store.transaction() as tx:
        await tx.append("article:a1", 0, [retracted("x")], actor=EDITOR)
        await tx.append("article:b2", 0, [retracted("y")], actor=EDITOR)
    assert [e.stream_id for e in await store.read_all()] == ["article:a1", "article:b2"]
