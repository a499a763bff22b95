"""The mutation rate: token buckets per key, on a clock the test moves."""

from __future__ import annotations

import pytest

from graph.schema.rate_limit import MAX_KEYS, MutationRates, RateLimiter, admit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_key_may_act_a_minutes_worth_at_once_then_waits() -> None:
    clock = Clock()
    limiter = RateLimiter(60, clock)
    for _ in range(60):
        assert admit([(limiter, "token")]) == 0

    assert admit([(limiter, "token")]) == 1  # one a second refills
    clock.now += 1
    assert admit([(limiter, "token")]) == 0
    assert admit([(limiter, "other")]) == 0


def test_retry_after_rounds_up_to_whole_seconds() -> None:
    clock = Clock()
    limiter = RateLimiter(2, clock)  # one every 30 s
    admit([(limiter, "k")])
    admit([(limiter, "k")])

    assert admit([(limiter, "k")]) == 30
    clock.now += 29.5
    assert admit([(limiter, "k")]) == 1
    clock.now += 0.5
    assert admit([(limiter, "k")]) == 0


def test_a_refusal_by_one_bucket_takes_nothing_from_the_other() -> None:
    clock = Clock()
    per_token, per_address = RateLimiter(1, clock), RateLimiter(5, clock)
    rates = MutationRates(per_token, per_address)
    assert rates.admit("token", "10.0.0.1") == 0

    assert rates.admit("token", "10.0.0.1") > 0
    for _ in range(4):
        assert rates.admit(None, "10.0.0.1") == 0
    assert rates.admit(None, "10.0.0.1") > 0


def test_zero_turns_the_limit_off() -> None:
    limiter = RateLimiter(0, Clock())

    assert all(admit([(limiter, "k")]) == 0 for _ in range(10_000))
    assert limiter.buckets == {}


def test_memory_is_bounded_by_forgetting_full_buckets() -> None:
    clock = Clock()
    limiter = RateLimiter(60, clock)
    for key in range(MAX_KEYS):
        admit([(limiter, f"k{key}")])
    clock.now += 60  # every bucket has refilled
    admit([(limiter, "newcomer")])

    assert len(limiter.buckets) == 1


@pytest.mark.parametrize("per_minute", [1, 7, 600])
def test_the_long_run_rate_is_the_configured_one(per_minute: int) -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute, clock)
    taken = 0
    for _ in range(10 * 60 * 10):  # ten minutes in tenths of a second
        if admit([(limiter, "k")]) == 0:
            taken += 1
        clock.now += 0.1

    # The first minute's burst, then the refill rate.
    assert per_minute * 10 <= taken <= per_minute * 11 + 1
