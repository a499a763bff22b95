"""Opaque cursors: those already given out still decode, and anything else is refused alike."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from graph.schema.cursors import CursorFormat
from graph.schema.errors import BadInput
from graph.schema.ids import (
    INT32_MAX,
    decode_cursor,
    decode_history_cursor,
    decode_search_cursor,
    encode_cursor,
    encode_history_cursor,
    encode_search_cursor,
)


def test_cursors_given_out_before_decode_to_the_same_place() -> None:
    # base64 of "articles:42", "history:7" and "search:123:456", as clients hold them.
    assert decode_cursor("YXJ0aWNsZXM6NDI=") == 42
    assert decode_history_cursor("aGlzdG9yeTo3") == 7
    assert decode_search_cursor("c2VhcmNoOjEyMzo0NTY=") == (123, 456)


def test_cursors_are_written_as_before() -> None:
    assert encode_cursor(42) == "YXJ0aWNsZXM6NDI="
    assert encode_history_cursor(7) == "aGlzdG9yeTo3"
    assert encode_search_cursor(123, 456) == "c2VhcmNoOjEyMzo0NTY="


def test_a_cursor_of_one_kind_is_refused_as_another_naming_the_argument() -> None:
    with pytest.raises(BadInput) as refused:
        decode_history_cursor(encode_cursor(42), "before")
    assert refused.value.message == "`before` is not a cursor this API gave out"
    assert refused.value.extensions == {"code": "BAD_USER_INPUT", "argument": "before"}
    with pytest.raises(BadInput, match="is not a cursor of this search"):
        decode_search_cursor(encode_cursor(42))


def test_a_number_out_of_its_column_s_range_is_refused() -> None:
    assert decode_history_cursor(encode_history_cursor(INT32_MAX)) == INT32_MAX
    with pytest.raises(BadInput):
        decode_history_cursor(encode_history_cursor(INT32_MAX + 1))
    with pytest.raises(BadInput):
        decode_cursor(encode_cursor(0))


def _keyset(match: re.Match[str]) -> tuple[datetime, str]:
    return datetime.fromisoformat(match[1]), match[2]


_TIMED = CursorFormat("timed:", "[0-9T:+-]{19,25}", "[a-z]+", read=_keyset, separator="|")


def test_a_format_joins_its_parts_with_its_separator_and_reads_them_back() -> None:
    at = datetime(2026, 12, 6, 2, 8, 42, tzinfo=UTC)
    cursor = _TIMED.encode(at.isoformat(), "abc")
    assert cursor == "dGltZWQ6MjAyNi0xMi0wNlQwMjowODo0MiswMDowMHxhYmM="
    assert _TIMED.decode(cursor) == (at, "abc")


@pytest.mark.parametrize(
    "cursor",
    [
        "dGltZWQ6MjAyNi0xMy0wNlQwMjowODo0MiswMDowMHxhYmM=",  # month 13: read raises ValueError
        "dGltZWQ6MjAyNi0xMi0wNlQwMjowODo0MiswMDowMDphYmM=",  # ":" where the separator is "|"
        "not base64!",
        "w6k=",  # "é": not ASCII
        "A" * 101,  # longer than any cursor given out
    ],
)
def test_anything_but_a_cursor_of_the_format_is_refused(cursor: str) -> None:
    with pytest.raises(BadInput, match="`after` is not a cursor this API gave out"):
        _TIMED.decode(cursor)
