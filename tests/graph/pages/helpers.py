"""Asking the API a known page with and without its fast path, to compare the two answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.http.pages import known_pages_of
from graph.http.pages.answer import KnownPages
from tests.graph.conftest import Api

__all__ = ["Answer", "answered_fast", "both_ways"]


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: Any  # the JSON, parsed


async def _ask(api: Api, query: str, variables: dict[str, Any] | None, token: str | None) -> Answer:
    response = await api.post(query, variables, token)
    return Answer(response.status_code, response.headers["content-type"], response.json())


async def both_ways(
    api: Api, query: str, variables: dict[str, Any] | None = None, token: str | None = None
) -> tuple[Answer, Answer]:
    """The answer with the app's known pages, then the general executor's (none known)."""
    pages = known_pages_of(api.app)
    fast = await _ask(api, query, variables, token)
    api.app.state.known_pages = KnownPages(frozenset())
    try:
        general = await _ask(api, query, variables, token)
    finally:
        api.app.state.known_pages = pages
    return fast, general


def answered_fast(api: Api) -> int:
    """How many answers the fast path has given so far."""
    return sum(known_pages_of(api.app).answered.values())
