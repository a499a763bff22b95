"""A fast answer says what it read, for a response cache to key its entry by: the article
page its article and the related articles it shows; the list page every event."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from graph.http.media_types import JSON
from graph.http.pages import answer_known_page
from graph.http.pages.answer import ARTICLES_READ
from graph.http.pages.documents import ARTICLE_LIST, ARTICLE_PAGE
from tests.graph.conftest import Api
from tests.graph.helpers import register


def _request(api: Api, query: str, variables: dict[str, Any]) -> Request:
    body = json.dumps({"query": query, "variables": variables}).encode()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "headers": [(b"content-type", b"application/json")],
        "query_string": b"",
        "app": api.app,
        "state": {},
    }
    return Request(scope, receive)


async def test_a_fast_answer_names_the_articles_it_read(api: Api) -> None:
    shown = await register(api, "Shown", ["Asthma", "COPD"])
    related = await register(api, "Related", ["Asthma"])
    await register(api, "Unrelated", ["Dementia"])
    request = _request(api, ARTICLE_PAGE, {"id": shown})
    assert await answer_known_page(request, JSON) is not None
    assert getattr(request.state, ARTICLES_READ) == frozenset({shown, related})

    request = _request(api, ARTICLE_LIST, {"first": 5})
    assert await answer_known_page(request, JSON) is not None
    assert getattr(request.state, ARTICLES_READ) is None
