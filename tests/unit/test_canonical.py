"""Canonical bytes and the hash chain, exactly as ledger/store/canonical.py documents them."""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.store.canonical import (
    GENESIS_HASH,
    canonical_bytes,
    canonical_json,
    chain_hash,
    format_time,
    parse_time,
)

METADATA: dict[str, Any] = {
    "recorded_at": "2026-01-02T03:04:05.000006Z",
    "idempotency_key": None,
    "correlation_id": "corr-1",
    "causation_id": None,
    "actor_role": "editor",
    "actor_id": "editor-1",
}
PAYLOAD: dict[str, Any] = {"reason": "Rétracté: données fabriquées", "article_id": "a1"}

EXPECTED_BYTES = (
    b'{"metadata":{"actor_id":"editor-1","actor_role":"editor","causation_id":null,'
    b'"correlation_id":"corr-1","idempotency_key":null,'
    b'"recorded_at":"2026-01-02T03:04:05.000006Z"},'
    b'"payload":{"article_id":"a1",'
    b'"reason":"R\xc3\xa9tract\xc3\xa9: donn\xc3\xa9es fabriqu\xc3\xa9es"},'
    b'"position":7,"schema_version":1,"stream_id":"article:a1","stream_version":3,'
    b'"type":"ArticleRetracted"}'
)


def known_event_bytes(payload: dict[str, Any] = PAYLOAD) -> bytes:
    return canonical_bytes(
        position=7,
        stream_id="article:a1",
        stream_version=3,
        event_type="ArticleRetracted",
        schema_version=1,
        payload_json=canonical_json(payload),
        metadata=METADATA,
    )


def test_canonical_bytes_of_a_known_event_are_exactly_the_documented_bytes() -> None:
    assert known_event_bytes() == EXPECTED_BYTES


def test_non_ascii_characters_are_kept_as_utf8_not_escaped() -> None:
    encoded = known_event_bytes()
    assert "é".encode() in encoded
    assert b"\\u00e9" not in encoded
    assert encoded.decode("utf-8").count("é") == 4


def test_canonical_bytes_do_not_depend_on_key_order_or_carry_white_space() -> None:
    reordered = dict(reversed(list(PAYLOAD.items())))
    assert known_event_bytes(reordered) == known_event_bytes(PAYLOAD)
    assert b" " not in known_event_bytes({"article_id": "a1", "n": [1, 2]})
    assert b"\n" not in EXPECTED_BYTES


def test_nested_keys_are_sorted_too() -> None:
    assert canonical_json({"b": {"z": 1, "a": [{"y": 2, "x": 3}]}, "a": None}) == (
        '{"a":null,"b":{"a":[{"x":3,"y":2}],"z":1}}'
    )


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(
    payload=st.dictionaries(st.text(max_size=8), json_values, max_size=5),
    position=st.integers(min_value=1, max_value=2**62),
    stream_version=st.integers(min_value=1, max_value=2**31),
    stream_id=st.text(min_size=1, max_size=20),
)
def test_the_assembled_envelope_equals_canonical_json_of_the_whole_document(
    payload: dict[str, Any], position: int, stream_version: int, stream_id: str
) -> None:
    """canonical_bytes splices a pre-serialised payload into the envelope; no byte may differ."""
    document = {
        "metadata": METADATA,
        "payload": payload,
        "position": position,
        "schema_version": 2,
        "stream_id": stream_id,
        "stream_version": stream_version,
        "type": "RatingSubmitted",
    }
    assembled = canonical_bytes(
        position=position,
        stream_id=stream_id,
        stream_version=stream_version,
        event_type="RatingSubmitted",
        schema_version=2,
        payload_json=canonical_json(payload),
        metadata=METADATA,
    )
    assert assembled == canonical_json(document).encode("utf-8")
    assert json.loads(assembled) == document


def test_format_time_gives_six_fractional_digits_and_a_z() -> None:
    assert format_time(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05.000000Z"
    assert format_time(datetime(2026, 1, 2, 3, 4, 5, 120, tzinfo=UTC)) == (
        "2026-01-02T03:04:05.000120Z"
    )


def test_format_time_converts_other_timezones_to_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    minus_five_thirty = timezone(-timedelta(hours=5, minutes=30))
    assert format_time(datetime(2026, 1, 1, 1, 0, 0, 7, tzinfo=plus_two)) == (
        "2025-12-31T23:00:00.000007Z"
    )
    assert format_time(datetime(2026, 3, 1, 20, 45, tzinfo=minus_five_thirty)) == (
        "2026-03-02T02:15:00.000000Z"
    )


def test_the_same_instant_in_any_timezone_formats_identically() -> None:
    instant = datetime(2026, 6, 30, 12, 0, 0, 999999, tzinfo=UTC)
    tokyo = instant.astimezone(timezone(timedelta(hours=9)))
    assert format_time(tokyo) == format_time(instant)


def test_format_time_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_time(datetime(2026, 1, 2, 3, 4, 5))


def test_parse_time_reverses_format_time() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert parse_time(format_time(moment)) == moment
    assert parse_time("2026-01-02T03:04:05.000006Z").tzinfo == UTC


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused(value: float) -> None:
    with pytest.raises(ValueError, match="JSON compliant"):
        canonical_json({"score": value})
    with pytest.raises(ValueError, match="JSON compliant"):
        known_event_bytes({"score": [1.0, value]})


def test_values_json_cannot_hold_are_refused() -> None:
    with pytest.raises(TypeError):
        canonical_json({"when": datetime(2026, 1, 1, tzinfo=UTC)})
    with pytest.raises(TypeError):
        canonical_json({"ids": {1, 2}})


def test_chain_hash_is_sha256_of_the_previous_digest_bytes_then_the_event_bytes() -> None:
    previous = hashlib.sha256(b"anything").hexdigest()
    expected = hashlib.sha256(bytes.fromhex(previous) + EXPECTED_BYTES).hexdigest()
    assert chain_hash(previous, EXPECTED_BYTES) == expected
    # The raw 32 bytes, not the 64 hex characters, are prefixed.
    assert chain_hash(previous, EXPECTED_BYTES) != (
        hashlib.sha256(previous.encode() + EXPECTED_BYTES).hexdigest()
    )


def test_the_first_link_hashes_onto_thirty_two_zero_bytes() -> None:
    expected = hashlib.sha256(b"\x00" * 32 + EXPECTED_BYTES).hexdigest()
    assert chain_hash(GENESIS_HASH, EXPECTED_BYTES) == expected


def test_chain_hash_is_64_lowercase_hex_digits() -> None:
    digest = chain_hash(GENESIS_HASH, b"{}")
    assert len(digest) == 64
    assert digest == digest.lower()
    int(digest, 16)


def test_a_chain_of_two_links_depends_on_the_first() -> None:
    first = chain_hash(GENESIS_HASH, b"one")
    assert chain_hash(first, b"two") != chain_hash(GENESIS_HASH, b"two")


def test_genesis_hash_is_sixty_four_zeros() -> None:
    assert GENESIS_HASH == "0" * 64
    assert bytes.fromhex(GENESIS_HASH) == bytes(32)
