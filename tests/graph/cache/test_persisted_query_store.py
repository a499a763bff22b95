"""The persisted documents are bounded: the least recently used go first."""

from __future__ import annotations

import hashlib

import pytest

from graph.http.persisted_queries import NOT_FOUND_CODE, PersistedQueries
from graph.http.refusals import Refusal


def extensions(query: str) -> dict[str, object]:
    sha = hashlib.sha256(query.encode()).hexdigest()
    return {"persistedQuery": {"version": 1, "sha256Hash": sha}}


def test_the_least_recently_used_document_is_forgotten_past_the_bound() -> None:
    store = PersistedQueries(max_chars=60)
    first, second, third = (f"{{ topics {{ name }} }} # {n:>8}" for n in range(3))
    for query in (first, second):
        store.keep(store.document(query, extensions(query)) or "", extensions(query))
    assert store.document(None, extensions(first)) == first  # now the most recently used

    store.keep(third, extensions(third))

    assert store.document(None, extensions(first)) == first
    assert store.document(None, extensions(third)) == third
    with pytest.raises(Refusal) as refused:
        store.document(None, extensions(second))
    assert refused.value.code == NOT_FOUND_CODE
    assert refused.value.status == 200
