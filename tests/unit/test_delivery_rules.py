"""Delivery's pure rules: digest periods in UTC, backoff with full jitter, webhook
signatures, unsubscribe tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ledger.delivery.backoff import Backoff
from ledger.delivery.periods import period_of
from ledger.delivery.signature import BadSignature, signature_header, verify_signature
from ledger.delivery.unsubscribe import subscriber_of_token, unsubscribe_token


def test_a_daily_period_runs_from_midnight_to_midnight_utc_whatever_the_zone_given() -> None:
    late_in_new_york = datetime(2026, 12, 5, 21, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert period_of("daily", late_in_new_york) == (
        datetime(2026, 12, 6, tzinfo=UTC),
        datetime(2026, 12, 7, tzinfo=UTC),
    )


def test_a_weekly_period_runs_from_monday_to_monday() -> None:
    saturday = datetime(2026, 12, 5, 12, tzinfo=UTC)
    assert period_of("weekly", saturday) == (
        datetime(2026, 11, 30, tzinfo=UTC),
        datetime(2026, 12, 7, tzinfo=UTC),
    )
    start, _end = period_of("weekly", datetime(2026, 12, 7, tzinfo=UTC))
    assert start == datetime(2026, 12, 7, tzinfo=UTC)


def test_immediate_delivery_has_no_period() -> None:
    with pytest.raises(ValueError, match="no digest period"):
        period_of("immediate", datetime.now(UTC))


def test_backoff_doubles_its_ceiling_up_to_the_cap_and_jitters_below_it() -> None:
    backoff = Backoff(base_seconds=10, cap_seconds=50, max_attempts=4)
    assert [backoff.ceiling(n) for n in range(1, 5)] == [10, 20, 40, 50]
    assert backoff.delay(3, lambda: 0.25) == timedelta(seconds=10)
    assert backoff.delay(3, lambda: 0.0) == timedelta(0)
    assert [backoff.gives_up(n) for n in (3, 4)] == [False, True]


def test_a_signature_verifies_only_for_its_body_secret_and_time() -> None:
    header = signature_header("whsec_1", 1_000_000, b'{"a":1}')
    assert verify_signature("whsec_1", b'{"a":1}', header, now=1_000_100) == 1_000_000
    for secret, body, now in [
        ("whsec_2", b'{"a":1}', 1_000_100),
        ("whsec_1", b'{"a":2}', 1_000_100),
        ("whsec_1", b'{"a":1}', 1_000_301),
    ]:
        with pytest.raises(BadSignature):
            verify_signature(secret, body, header, now=now)
    for bad in (None, "", "v1=abc", "t=x,v1=abc"):
        with pytest.raises(BadSignature):
            verify_signature("whsec_1", b'{"a":1}', bad, now=1_000_000)


def test_an_unsubscribe_token_names_its_subscriber_and_cannot_be_forged() -> None:
    token = unsubscribe_token("server-secret", "subscriber-7")
    assert subscriber_of_token("server-secret", token) == "subscriber-7"
    assert subscriber_of_token("another-secret", token) is None
    forged = unsubscribe_token("guess", "subscriber-8")
    assert subscriber_of_token("server-secret", forged) is None
    for junk in ("", "abc", "a.b.c", "!!!.00", "x" * 700):
        assert subscriber_of_token("server-secret", junk) is None
