"""The view's one call before the general executor: a known page answered from one read,
or None for the executor to answer."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from graph.http.logging import log_operation
from graph.http.media_types import JSON
from graph.http.pages.admission import admitted
from graph.http.pages.article import article_answer
from graph.http.pages.documents import ARTICLE_PAGE, document_key
from graph.http.pages.encoding import encode_answer
from graph.schema.context import Services
from graph.schema.ids import article_key
from ledger.domain.errors import ValidationFailed
from ledger.read.pages import read_article_page

__all__ = ["KnownPages", "answer_known_page", "known_pages_of"]

_ARTICLE_PAGE = document_key(ARTICLE_PAGE)
_PARAMETERS = frozenset({"query", "variables", "operationName", "extensions"})


@dataclass
class KnownPages:
    """The documents this app answers without the executor, and how often it did."""

    keys: frozenset[str]
    answered: Counter[str] = field(default_factory=Counter)


def known_pages_of(app: Starlette) -> KnownPages:
    """The app's known pages: those its limits admit, decided on first use."""
    pages: KnownPages | None = getattr(app.state, "known_pages", None)
    if pages is None:
        services: Services = app.state.services
        known = {_ARTICLE_PAGE} if admitted(ARTICLE_PAGE, services.settings) else set()
        pages = app.state.known_pages = KnownPages(frozenset(known))
    return pages


async def _operation(request: Request) -> dict[str, Any] | None:
    """The request's parameters when they are plainly well formed, else None (the general
    path refuses or answers whatever is odd, in its own words)."""
    if request.method == "GET":
        data: dict[str, Any] = dict(request.query_params)
        if "variables" in data:
            data["variables"] = orjson.loads(data["variables"])
    elif request.method == "POST":
        essence, _, parameters = (request.headers.get("content-type") or "").partition(";")
        if essence.strip().lower() != JSON or parameters.strip().lower() not in (
            "",
            "charset=utf-8",
        ):
            return None
        data = orjson.loads(await request.body())
    else:
        return None
    if not isinstance(data, dict) or not data.keys() <= _PARAMETERS or data.get("extensions"):
        return None
    return data


async def answer_known_page(request: Request, media_type: str | None) -> Response | None:
    """The answer of a known page, or None: for another document, for an odd request, and
    whenever the page's answer would not be plain data (an unknown article, a malformed id,
    a retracted article), so that the general executor answers it in its own words."""
    if media_type is None:  # GraphiQL's page, or a refusal of what the client accepts
        return None
    try:
        operation = await _operation(request)
    except orjson.JSONDecodeError:
        return None
    if operation is None or not isinstance(query := operation.get("query"), str):
        return None
    pages = known_pages_of(request.app)
    if document_key(query) not in pages.keys:
        return None
    if operation.get("operationName") not in (None, "ArticlePage"):
        return None
    variables = operation.get("variables")
    if not isinstance(variables, dict) or variables.keys() != {"id"}:
        return None
    try:
        article_id = article_key(variables["id"], "id")
    except ValidationFailed:
        return None
    services: Services = request.app.state.services
    page = await read_article_page(services.engine, article_id, services.settings.score_policy)
    if page is None or page.view.retracted:
        return None
    pages.answered["ArticlePage"] += 1
    log_operation(request.state, "ArticlePage")
    return Response(
        encode_answer(article_answer(page)),
        status_code=200,
        media_type=f"{media_type}; charset=utf-8",
    )
