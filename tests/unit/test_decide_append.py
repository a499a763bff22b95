"""The append's decision, stated once for every store that decides in Python: the first
answer to a retried key, a refusal when the stream moved, else events sealed after the head."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ledger.domain.errors import IdempotencyKeyReused, WrongExpectedVersion
from ledger.domain.events import REGISTRY
from ledger.store.canonical import GENESIS_HASH
from ledger.store.event_store import Head
from ledger.store.memory import KeptAppend
from ledger.store.prepare import PreparedAppend, prepare_append
from ledger.store.records import Actor, NewEvent
from ledger.store.sealing import decide_append

NOON = datetime(2026, 12, 5, 12, tzinfo=UTC)
HEAD = Head(position=7, hash="ab" * 32, recorded_at=NOON)


def _prepared(expected: int | None, key: str | None = None) -> PreparedAppend:
    event = NewEvent("StudyTypeRegistered", {"name": "Case series"})
    return prepare_append(
        REGISTRY,
        "vocabulary:study_types",
        expected,
        [event, event],
        actor=Actor("editor-1", "editor"),
        idempotency_key=key,
        correlation_id="c1",
        causation_id=None,
    )


def test_the_events_follow_the_head_and_the_stream_each_chained_to_the_one_before() -> None:
    result = decide_append(_prepared(3), head=HEAD, stream_version=3, keyed=None, now=NOON)

    assert [(e.position, e.stream_version) for e in result.events] == [(8, 4), (9, 5)]
    assert (result.first_position, result.last_position) == (8, 9)
    assert result.events[0].hash != result.events[1].hash != HEAD.hash
    assert not result.replayed


def test_a_clock_behind_the_head_stamps_the_head_time_so_as_of_agrees_with_positions() -> None:
    earlier = NOON - timedelta(seconds=5)
    result = decide_append(_prepared(None), head=HEAD, stream_version=0, keyed=None, now=earlier)

    assert result.recorded_at == NOON
    first = decide_append(
        _prepared(None), head=Head(0, GENESIS_HASH, None), stream_version=0, keyed=None, now=earlier
    )
    assert first.recorded_at == earlier


def test_a_stream_that_moved_is_refused() -> None:
    with pytest.raises(WrongExpectedVersion):
        decide_append(_prepared(2), head=HEAD, stream_version=3, keyed=None, now=NOON)


def test_a_key_already_used_answers_the_first_append_even_if_the_stream_moved() -> None:
    prepared = _prepared(0, key="k1")
    kept = KeptAppend(prepared.fingerprint, prepared.stream_id, 3, 4, 1, 2, NOON)

    result = decide_append(prepared, head=HEAD, stream_version=9, keyed=kept, now=NOON)

    assert result.replayed
    assert result.events == ()
    assert (result.first_position, result.last_version) == (3, 2)


def test_a_key_first_used_for_another_request_is_refused() -> None:
    prepared = _prepared(0, key="k1")
    kept = KeptAppend("another request", prepared.stream_id, 3, 4, 1, 2, NOON)

    with pytest.raises(IdempotencyKeyReused):
        decide_append(prepared, head=HEAD, stream_version=0, keyed=kept, now=NOON)
