"""Every malformed append is a typed error and leaves the ledger as it was."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest

from ledger.audit.chain import verify_chain
from ledger.domain.errors import (
    EmptyAppend,
    InvalidAppend,
    InvalidExpectedVersion,
    InvalidMetadata,
    InvalidStreamId,
    UnknownEventType,
    UnserialisablePayload,
)
from ledger.store.records import Actor, NewEvent
from ledger.store.sql_store import SQLEventStore

EDITOR = Actor("editor-7", "editor")
GOOD = NewEvent("ArticleRetracted", {"article_id": "a1", "reason": "x"})

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
        {"events": [NewEvent("ArticleRetracted", [1])]},
        UnserialisablePayload,
    ),  # type: ignore[arg-type]
    # PostgreSQL holds no NUL in text or JSON: both backends refuse it, wherever it is.
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


@pytest.mark.parametrize(
    ("case", "change", "error"), REFUSALS, ids=[case for case, _, _ in REFUSALS]
)
async def test_a_malformed_append_is_refused_and_changes_nothing(
    store: SQLEventStore, case: str, change: dict[str, Any], error: type[InvalidAppend]
) -> None:
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
    assert [e.position for e in await store.read_all()] == [1]
    assert (await verify_chain(store.engine)).ok


async def test_refusals_are_value_errors_with_a_message(store: SQLEventStore) -> None:
    with pytest.raises(ValueError, match="category:identifier"):
        await store.append("nonsense", 0, [GOOD], actor=EDITOR)


async def test_a_backslash_before_u0000_as_text_is_not_a_nul(store: SQLEventStore) -> None:
    """The six characters \\u0000 are ordinary text, stored as given on both backends."""
    event = NewEvent("ArticleRetracted", {"article_id": "a1", "reason": "see \\u0000"})

    await store.append("article:a1", 0, [event], actor=EDITOR)

    [stored] = await store.read_all()
    assert stored.payload["reason"] == "see \\u0000"
