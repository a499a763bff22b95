"""Keys in IN lists a chunk at a time: every key once, in order, no list over the limit."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ledger.store.in_lists import IN_LIST_KEYS, in_chunks


@given(st.lists(st.integers(), max_size=60), st.integers(min_value=1, max_value=7))
def test_the_chunks_give_every_key_once_in_order_none_over_the_size(
    keys: list[int], size: int
) -> None:
    chunks = list(in_chunks(keys, size))
    assert [key for chunk in chunks for key in chunk] == keys
    assert all(1 <= len(chunk) <= size for chunk in chunks)


def test_a_page_over_the_limit_takes_two_lists() -> None:
    keys = list(range(IN_LIST_KEYS + 1))
    assert [len(chunk) for chunk in in_chunks(keys)] == [IN_LIST_KEYS, 1]
