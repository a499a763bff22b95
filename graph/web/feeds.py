"""The public feeds: ``/feeds/{discipline}.atom`` and ``/feeds/{discipline}.json``.

Anyone may read them (they hold only public article data). Conditional like the GraphQL
answers: a strong ETag of the answer's bytes (a feed redrawn from a replay is byte for byte
the same, so it keeps its tag), ``If-None-Match`` answered ``304``, and ``public, no-cache``
so that any cache keeps a feed but revalidates it first.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from graph.http.conditional import conditional_answer
from graph.http.response_cache import entity_tag
from graph.schema.context import Services
from graph.web.feed_documents import (
    ATOM_MEDIA_TYPE,
    JSON_FEED_MEDIA_TYPE,
    FeedAddresses,
    atom,
    json_feed,
)
from ledger.read.feeds import DisciplineFeed, discipline_feed
from ledger.read.reader import read_now

__all__ = ["feed_routes"]

Writer = Callable[[DisciplineFeed, FeedAddresses], bytes]


def _feed_view(suffix: str, media_type: str, write: Writer) -> Callable[[Request], object]:
    async def feed(request: Request) -> Response:
        services: Services = request.app.state.services
        name = request.path_params["discipline"]
        policy = services.settings.score_policy
        found = await read_now(services.engine, lambda conn: discipline_feed(conn, name, policy))
        if found is None:
            return PlainTextResponse(f"No discipline is named {name!r}.", status_code=404)
        base = str(request.base_url)
        where = FeedAddresses(base=base, feed=f"{base}feeds/{found.key}.{suffix}")
        body = write(found, where)
        return conditional_answer(
            request, body, media_type, entity_tag(body, media_type), private=False
        )

    return feed


def feed_routes() -> list[BaseRoute]:
    return [
        Route(
            "/feeds/{discipline}.atom",
            _feed_view("atom", ATOM_MEDIA_TYPE, atom),
            methods=["GET"],
            name="atom-feed",
        ),
        Route(
            "/feeds/{discipline}.json",
            _feed_view("json", JSON_FEED_MEDIA_TYPE, json_feed),
            methods=["GET"],
            name="json-feed",
        ),
    ]
