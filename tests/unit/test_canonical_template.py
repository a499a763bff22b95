"""The canonical template, filled in, is exactly the canonical bytes (the one definition)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from ledger.store.canonical import canonical_bytes, canonical_json, canonical_template, format_time

TEXT = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)))
IDS = st.one_of(st.none(), TEXT, st.just("\\u0000time"), st.just('"\\u0000position"'))
PAYLOADS = st.dictionaries(TEXT, st.one_of(TEXT, st.integers(), st.booleans(), st.none()))


@given(
    stream=st.from_regex(r"[a-z]{1,8}:[A-Za-z0-9._-]{1,20}", fullmatch=True),
    event_type=st.from_regex(r"[A-Z][A-Za-z]{0,30}", fullmatch=True),
    schema_version=st.integers(1, 5),
    payload=PAYLOADS,
    actor=TEXT,
    key=IDS,
    causation=IDS,
    position=st.integers(1, 10**12),
    version=st.integers(1, 10**6),
    moment=st.datetimes(timezones=st.just(UTC)),
)
def test_the_template_filled_in_is_the_canonical_bytes(
    stream: str,
    event_type: str,
    schema_version: int,
    payload: dict[str, object],
    actor: str,
    key: str | None,
    causation: str | None,
    position: int,
    version: int,
    moment: datetime,
) -> None:
    metadata = {
        "actor_id": actor,
        "actor_role": "editor",
        "causation_id": causation,
        "correlation_id": "c",
        "idempotency_key": key,
    }
    payload_json = canonical_json(payload)
    parts = canonical_template(
        stream_id=stream,
        event_type=event_type,
        schema_version=schema_version,
        payload_json=payload_json,
        metadata=metadata,
    )
    time = format_time(moment)

    filled = parts[0] + time + parts[1] + str(position) + parts[2] + str(version) + parts[3]

    assert filled.encode() == canonical_bytes(
        position=position,
        stream_id=stream,
        stream_version=version,
        event_type=event_type,
        schema_version=schema_version,
        payload_json=payload_json,
        metadata={**metadata, "recorded_at": time},
    )
