"""The view's one call before the general executor: a known page answered from one read,
or None for the executor to answer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from graph.http.logging import log_operation
from graph.http.media_types import JSON
from graph.http.pages.admission import admitted
from graph.http.pages.article import article_answer
from graph.http.pages.documents import ARTICLE_LIST, ARTICLE_PAGE, document_key
from graph.http.pages.encoding import encode_answer
from graph.http.pages.list import list_answer
from graph.schema.context import Services
from graph.schema.ids import article_key, decode_cursor
from ledger.domain.errors import ValidationFailed
from ledger.read.pages import read_article_page, read_list_page

__all__ = [
    "ARTICLES_READ",
    "FastAnswer",
    "KnownPages",
    "answer_known_operation",
    "answer_known_page",
    "is_known_page",
    "known_pages_of",
]

_PARAMETERS = frozenset({"query", "variables", "operationName", "extensions"})
# The list's filters: the fast path reads the unfiltered list only.
_FILTERS = ("search", "topic", "discipline", "studyType", "minScore")

# Where a fast answer leaves, on the request's state, what it read (for a response cache to
# key its entry by): the articles whose streams the answer depends on, or None for every
# event (the list page counts every article and reads the vocabulary).
ARTICLES_READ = "articles_read"


@dataclass(frozen=True)
class FastAnswer:
    body: dict[str, Any]  # {"data": ...}
    articles_read: frozenset[str] | None


PageReader = Callable[[Services, dict[str, Any]], Awaitable[FastAnswer | None]]


async def _article_page(services: Services, variables: dict[str, Any]) -> FastAnswer | None:
    if variables.keys() != {"id"}:
        return None
    try:
        article_id = article_key(variables["id"], "id")
    except ValidationFailed:
        return None
    page = await read_article_page(services.page_reads, article_id, services.settings.score_policy)
    # Unknown: the executor's null. Retracted: the retraction's reason is read from the log.
    if page is None or page.view.retracted:
        return None
    read = frozenset({article_id, *(related for related, _ in page.related)})
    return FastAnswer(article_answer(page), read)


async def _article_list(services: Services, variables: dict[str, Any]) -> FastAnswer | None:
    first, after = variables.get("first"), variables.get("after")
    settings = services.settings
    if (
        not isinstance(first, int)
        or isinstance(first, bool)
        or not 0 <= first <= settings.max_page_size
        or any(variables.get(name) is not None for name in _FILTERS)
        or not isinstance(variables.get("includeRetracted", False), bool | None)
        or not (after is None or isinstance(after, str))
    ):
        return None
    try:
        position = decode_cursor(after) if after is not None else None
    except GraphQLError:
        return None
    page = await read_list_page(
        services.page_reads,
        first,
        position,
        settings.score_policy,
        services.store.registry,
        include_retracted=bool(variables.get("includeRetracted")),
    )
    return FastAnswer(list_answer(page), None)


_VARIABLES = {
    "ArticlePage": {"id"},
    "ArticleList": {"first", "after", "includeRetracted", *_FILTERS},
}
_DOCUMENTS: dict[str, tuple[str, str, PageReader]] = {
    document_key(ARTICLE_PAGE): (ARTICLE_PAGE, "ArticlePage", _article_page),
    document_key(ARTICLE_LIST): (ARTICLE_LIST, "ArticleList", _article_list),
}


@dataclass
class KnownPages:
    """The documents this app answers without the executor (by their key), and how often
    it did (by operation name)."""

    keys: frozenset[str]
    answered: Counter[str] = field(default_factory=Counter)


def known_pages_of(app: Starlette) -> KnownPages:
    """The app's known pages: those its limits admit, decided on first use."""
    pages: KnownPages | None = getattr(app.state, "known_pages", None)
    if pages is None:
        settings = app.state.services.settings
        known = {key for key, (text, _, _) in _DOCUMENTS.items() if admitted(text, settings)}
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
    whenever the page's answer would not be plain data (an unknown, malformed or retracted
    article, a bad cursor), so that the general executor answers it in its own words."""
    if media_type is None:  # GraphiQL's page, or a refusal of what the client accepts
        return None
    try:
        operation = await _operation(request)
    except orjson.JSONDecodeError:
        return None
    if operation is None or not isinstance(query := operation.get("query"), str):
        return None
    return await answer_known_operation(
        request, media_type, query, operation.get("variables"), operation.get("operationName")
    )


def is_known_page(app: Starlette, query: str) -> bool:
    """Whether ``query`` is one of the documents this app answers without the executor."""
    return document_key(query) in known_pages_of(app).keys


async def answer_known_operation(
    request: Request,
    media_type: str,
    query: str,
    variables: object,
    operation_name: object,
) -> Response | None:
    """As ``answer_known_page``, for an operation already read from the request (a
    persisted query's text included)."""
    key = document_key(query)
    pages = known_pages_of(request.app)
    if key not in pages.keys:
        return None
    _, name, read = _DOCUMENTS[key]
    if variables is None:
        variables = {}
    if (
        operation_name not in (None, name)
        or not isinstance(variables, dict)
        or not variables.keys() <= _VARIABLES[name]
    ):
        return None
    answer = await read(request.app.state.services, variables)
    if answer is None:
        return None
    pages.answered[name] += 1
    log_operation(request.state, name)
    setattr(request.state, ARTICLES_READ, answer.articles_read)
    return Response(
        encode_answer(answer.body), status_code=200, media_type=f"{media_type}; charset=utf-8"
    )
