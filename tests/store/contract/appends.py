"""The store's contract, part one: what an append promises and what it refuses."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest

from ledger.domain.errors import (
    EmptyAppend,
    IdempotencyKeyReused,
    InvalidAppend,
    InvalidExpectedVersion,
    InvalidMetadata,
    InvalidStreamId,
    UnknownEventType,
    UnserialisablePayload,
    WrongExpectedVersion,
)
from ledger.store.canonical import GENESIS_HASH
from ledger.store.records import Actor, NewEvent
from tests.store.contract.harness import Harness, first_broken

EDITOR = Actor("editor-7", "editor")
GOOD = NewEvent("ArticleRetracted", {"article_id": "a1", "reason": "x"})


def retracted(reason: str) -> NewEvent:
    return NewEvent("ArticleRetracted", {"article_id": "a1", "reason": reason})


REFUSALS: list[tuple[str, dict[str, Any], type[InvalidAppend]]] = [
    ("empty stream id", {"stream_id": ""}, InvalidStreamId),
    ("stream id without category", {"stream_id": "a1"}, InvalidStreamId),
    ("stream id with spaces", {"stream_id": "article:a 1"}, InvalidStreamId),
    ("stream id too long", {"stream_id": "article:" + "x" * 200}, InvalidStreamId),
    ("stream id not text", {"stream_id": 42}, InvalidStreamId),
    ("no events", {"events": []}, EmptyAppend),
    ("negative expected version", {"expected_version": -1}, InvalidExpectedVersion),
    ("expected version as text", {"expected_version": "1"}, InvalidExpectedVersion),
    ("expected version as bool", {"expected_version": True}, InvalidExpectedVersion),
    ("unknown type", {"events": [NewEvent("ArticleDeleted", {})]}, UnknownEventType),
    (
        "payload with a set",
        {"events": [NewEvent("ArticleRetracted", {"reason": {1, 2}})]},
        UnserialisablePayload,
    ),
    (
        "payload with a datetime",
        {"events": [NewEvent("ArticleRetracted", {"at": datetime.now(UTC)})]},
        UnserialisablePayload,
    ),
    (
        "payload with NaN",
        {"events": [NewEvent("ArticleRetracted", {"score": math.nan})]},
        UnserialisablePayload,
    ),
    (
        "payload not an object",
        {"events": [NewEvent("ArticleRetracted", [1])]},  # type: ignore[arg-type]
        UnserialisablePayload,
    ),
    # PostgreSQL holds no NUL in text or JSON: every store refuses it, wherever it is.
    (
        "payload text with NUL",
        {"events": [NewEvent("ArticleRetracted", {"reason": "a\x00b"})]},
        UnserialisablePayload,
    ),
    (
        "payload key with NUL",
        {"events": [NewEvent("ArticleRetracted", {"re\x00ason": "x"})]},
        UnserialisablePayload,
    ),
    (
        "nested payload text with NUL",
        {"events": [NewEvent("ArticleRetracted", {"notes": [{"t": "\\\x00"}]})]},
        UnserialisablePayload,
    ),
    ("idempotency key with NUL", {"idempotency_key": "k\x00"}, InvalidMetadata),
    # A lone surrogate has no UTF-8 form: neither hashable nor storable.
    (
        "payload text with a lone surrogate",
        {"events": [NewEvent("ArticleRetracted", {"reason": "a\ud800b"})]},
        UnserialisablePayload,
    ),
    ("idempotency key with a lone surrogate", {"idempotency_key": "k\udfff"}, InvalidMetadata),
    ("actor with NUL", {"actor": Actor("editor\x00", "editor")}, InvalidMetadata),
    ("blank actor", {"actor": Actor(" ", "editor")}, InvalidMetadata),
    ("blank role", {"actor": Actor("editor-7", "")}, InvalidMetadata),
    ("blank idempotency key", {"idempotency_key": ""}, InvalidMetadata),
    ("oversized idempotency key", {"idempotency_key": "k" * 201}, InvalidMetadata),
    ("too many events", {"events": [GOOD] * 1001}, InvalidMetadata),
]


class AppendContract:
    async def test_versions_and_positions_start_at_one_and_carry_on(self, harness: Harness) -> None:
        store = harness.store
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

    async def test_every_event_carries_its_metadata(self, harness: Harness) -> None:
        store = harness.store
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

    async def test_a_correlation_id_is_made_when_none_is_given(self, harness: Harness) -> None:
        await harness.store.append("article:a1", 0, [retracted("x")], actor=EDITOR)
        [event] = await harness.store.read_all()
        assert len(event.metadata.correlation_id) == 36

    async def test_the_head_follows_the_last_event(self, harness: Harness) -> None:
        store = harness.store
        empty = await store.head()
        assert (empty.position, empty.hash) == (0, GENESIS_HASH)
        await store.append("article:a1", 0, [retracted("x"), retracted("y")], actor=EDITOR)
        head = await store.head()
        [_, last] = await store.read_all()
        assert (head.position, head.hash) == (2, last.hash)

    async def test_a_stale_expected_version_is_a_conflict_that_writes_nothing(
        self, harness: Harness
    ) -> None:
        store = harness.store
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

    async def test_no_expected_version_appends_at_the_end(self, harness: Harness) -> None:
        await harness.store.append("article:a1", None, [retracted("x")], actor=EDITOR)
        result = await harness.store.append("article:a1", None, [retracted("y")], actor=EDITOR)
        assert result.last_version == 2

    async def test_a_repeated_idempotency_key_returns_the_first_answer(
        self, harness: Harness
    ) -> None:
        store = harness.store
        first = await store.append(
            "article:a1", 0, [retracted("x")], actor=EDITOR, idempotency_key="k"
        )
        await store.append("article:a1", 1, [retracted("y")], actor=EDITOR)
        again = await store.append(
            "article:a1", 0, [retracted("x")], actor=EDITOR, idempotency_key="k"
        )
        assert again.replayed
        assert not first.replayed
        assert (again.first_position, again.last_version) == (first.first_position, 1)
        assert again.recorded_at == first.recorded_at
        assert (await store.head()).position == 2
        found = await store.find_append("k", actor=EDITOR)
        assert found is not None
        assert found.last_position == first.last_position
        assert await store.find_append("never-used", actor=EDITOR) is None

    async def test_a_key_reused_for_other_events_is_refused(self, harness: Harness) -> None:
        store = harness.store
        await store.append("article:a1", 0, [retracted("x")], actor=EDITOR, idempotency_key="k")
        with pytest.raises(IdempotencyKeyReused):
            await store.append(
                "article:a1", 1, [retracted("something else")], actor=EDITOR, idempotency_key="k"
            )
        with pytest.raises(IdempotencyKeyReused):
            await store.append("article:b2", 0, [retracted("x")], actor=EDITOR, idempotency_key="k")
        assert (await store.head()).position == 1

    async def test_the_same_key_from_two_actors_is_two_unrelated_appends(
        self, harness: Harness
    ) -> None:
        store = harness.store
        other = Actor("subscriber-3", "subscriber")
        first = await store.append(
            "article:a1", 0, [retracted("x")], actor=EDITOR, idempotency_key="k"
        )
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
        again = await store.append(
            "article:a1", 0, [retracted("x")], actor=EDITOR, idempotency_key="k"
        )
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
        self, harness: Harness
    ) -> None:
        store = harness.store
        other = Actor("rater-9", "rater")
        await store.append("article:a1", 0, [retracted("x")], actor=EDITOR, idempotency_key="k")
        await store.append("article:b2", 0, [retracted("x")], actor=other, idempotency_key="k")

        with pytest.raises(IdempotencyKeyReused):
            await store.append("article:c3", 0, [retracted("x")], actor=other, idempotency_key="k")
        with pytest.raises(IdempotencyKeyReused):
            await store.find_append("k", "another fingerprint", actor=other)
        assert (await store.head()).position == 2

    @pytest.mark.parametrize(
        ("case", "change", "error"), REFUSALS, ids=[case for case, _, _ in REFUSALS]
    )
    async def test_a_malformed_append_is_refused_and_changes_nothing(
        self, harness: Harness, case: str, change: dict[str, Any], error: type[InvalidAppend]
    ) -> None:
        store = harness.store
        await store.append("article:a1", 0, [GOOD], actor=EDITOR, idempotency_key="first")
        before = await store.head()
        request: dict[str, Any] = {
            "stream_id": "article:a1",
            "expected_version": 1,
            "events": [GOOD],
            "actor": EDITOR,
            "idempotency_key": None,
        } | change

        with pytest.raises(error):
            await store.append(
                request["stream_id"],
                request["expected_version"],
                request["events"],
                actor=request["actor"],
                idempotency_key=request["idempotency_key"],
            )

        assert await store.head() == before
        stored = await store.read_all()
        assert [e.position for e in stored] == [1]
        assert first_broken(stored) is None
        assert await harness.stored_chain_holds()

    async def test_refusals_are_value_errors_with_a_message(self, harness: Harness) -> None:
        with pytest.raises(ValueError, match="category:identifier"):
            await harness.store.append("nonsense", 0, [GOOD], actor=EDITOR)

    async def test_a_backslash_before_u0000_as_text_is_not_a_nul(self, harness: Harness) -> None:
        """The six characters \\u0000 are ordinary text, stored as given."""
        event = NewEvent("ArticleRetracted", {"article_id": "a1", "reason": "see \\u0000"})

        await harness.store.append("article:a1", 0, [event], actor=EDITOR)

        [stored] = await harness.store.read_all()
        assert stored.payload["reason"] == "see \\u0000"
