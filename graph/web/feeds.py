"""The public feeds: ``/feeds/{discipline}.atom`` and ``/feeds/{discipline}.json``.

Anyone may read them (they hold only public article data). Conditional like the GraphQL
answers: a strong ETag of the answer's bytes (a feed redrawn from a replay is byte for byte
the same, so it keeps its tag), ``If-None-Match`` answered ``304``, and ``public, no-cache``
so that any cache keeps a feed but revalidates it first.

A feed written is kept with the ledger head it was read at (both from one snapshot): while
the head has not moved, nothing the feed shows can have changed, so a request costs one
read of the head instead of the feed's query.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

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
from ledger.read.feeds import DisciplineFeed, discipline_feed, head_position
from ledger.read.reader import Reader

__all__ = ["feed_routes"]

Writer = Callable[[DisciplineFeed, FeedAddresses], bytes]


@dataclass(frozen=True)
class _Written:
    position: int  # the ledger head the feed was read at
    body: bytes
    etag: str


class WrittenFeeds:
    """The feeds last written, by how they were asked for, each with the head it was read at;
    bounded (the key holds the name as spelt and the host the client named)."""

    def __init__(self, most: int = 64) -> None:
        self._most = most
        self._written: OrderedDict[tuple[str, ...], _Written] = OrderedDict()

    def at(self, key: tuple[str, ...], position: int) -> _Written | None:
        written = self._written.get(key)
        if written is None or written.position != position:
            return None
        self._written.move_to_end(key)
        return written

    def keep(self, key: tuple[str, ...], written: _Written) -> None:
        self._written[key] = written
        self._written.move_to_end(key)
        while len(self._written) > self._most:
            self._written.popitem(last=False)


def _feed_view(suffix: str, media_type: str, write: Writer) -> Callable[[Request], object]:
    written = WrittenFeeds()

    async def feed(request: Request) -> Response:
        services: Services = request.app.state.services
        name = request.path_params["discipline"]
        base = str(request.base_url)
        key = (name, base)
        reader = Reader(services.engine)  # one snapshot: the head and the feed agree
        try:
            position = await reader.run(head_position)
            answer = written.at(key, position)
            if answer is None:
                policy = services.settings.score_policy
                found = await reader.run(lambda conn: discipline_feed(conn, name, policy))
                if found is None:
                    return PlainTextResponse(f"No discipline is named {name!r}.", status_code=404)
                where = FeedAddresses(base=base, feed=f"{base}feeds/{found.key}.{suffix}")
                body = write(found, where)
                answer = _Written(position, body, entity_tag(body, media_type))
                written.keep(key, answer)
        finally:
            await reader.finish()
        return conditional_answer(request, answer.body, media_type, answer.etag, private=False)

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
