"""A live subscription's place in the fan-out: what wakes it, and what marks it behind (a
message it cannot send, never the number of appends)."""

from __future__ import annotations

import asyncio

import pytest

from ledger.read.live import FellBehind, Follower


def follower(patience: int) -> tuple[Follower, list[str]]:
    calls: list[str] = []
    return Follower(None, patience, lambda: calls.append("behind")), calls


async def test_a_subscription_reading_through_any_number_of_appends_is_never_behind() -> None:
    followed, calls = follower(patience=2)
    for position in range(1, 1001):
        followed._wake(position)

    assert not followed.behind
    assert calls == []
    assert await followed.woken() == 1000  # the newest, however many came
    assert not followed._awake.is_set()  # taken: the next wait waits


async def test_a_wake_up_that_comes_before_the_subscription_waits_is_kept() -> None:
    followed, _ = follower(patience=2)
    followed._wake(7)
    followed._wake(5)  # learnt out of order: the newest is kept

    assert await asyncio.wait_for(followed.woken(), 1) == 7


async def test_a_send_that_waits_through_more_than_its_patience_marks_it_behind_once() -> None:
    followed, calls = follower(patience=2)
    with followed.sending():
        followed._wake(1)
        followed._wake(2)
        assert not followed.behind
        followed._wake(3)
        assert followed.behind
        followed._wake(4)

    assert calls == ["behind"]
    with pytest.raises(FellBehind):
        await followed.woken()


async def test_the_patience_is_counted_per_send() -> None:
    followed, calls = follower(patience=2)
    for first in (1, 3, 5):
        with followed.sending():
            followed._wake(first)
            followed._wake(first + 1)
        followed._wake(first + 1)  # between sends: reading, not stuck

    assert not followed.behind
    assert calls == []
    assert await followed.woken() == 6
