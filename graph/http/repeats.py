"""Kept answers served to repeated requests before the rest of the stack runs.

Most reads repeat: a front-end asks for the same page, with the same document, variables
and headers, again and again. The first time, the whole stack answers it: authentication,
routing, read-your-writes, the view's media type and CSRF rules, the parse of the request
and the cache's key (``graph.http.caching``). What the view then decides depends only on
the request's method, query string, body and a few headers (those in ``_DECISIVE``), so the
view remembers, for a request without credentials, which cache key those bytes came to
(``Repeats.remember``). A later request with the very same bytes is answered here, from the
response cache, under exactly the rules of a hit on the long way:

- only after this process has learnt of every event committed before the request (and at
  least up to the ``Ledger-Position`` it sent), and only while none of them touched the
  entry's facts; otherwise the request takes the long way, which executes it afresh;
- ``If-None-Match`` answered ``304`` as the view answers it; the same headers and bytes;
- inside the request log, CORS and the body limit, which therefore hold as for any request.

A request with an ``Authorization`` header always takes the long way: what it may see is
decided by its token, which only authentication can read. So does one whose position header
is not a plain number, or names a position this process cannot reach (the view refuses it
in its own words), and one whose body does not arrive in one piece.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.http.conditional import answer_or_not_modified
from graph.http.csrf import PREFLIGHT_HEADERS
from graph.http.response_cache import ResponseCache
from graph.schema.context import Services

__all__ = ["REQUEST_BYTES", "AnswerRepeats", "Repeats", "RequestBytes"]

# Where a request that took the long way carries its bytes, for the view to remember.
REQUEST_BYTES = "repeat_request_bytes"

# The headers the view's decisions read besides the method, query string and body: the
# media type (Accept), the body's type and CSRF's preflight headers (the IDE's page too).
_DECISIVE = frozenset({b"accept", b"content-type", *(h.encode() for h in PREFLIGHT_HEADERS)})
_AUTHORIZATION = b"authorization"
_POSITION = b"ledger-position"
_IF_NONE_MATCH = b"if-none-match"
_CONTENT_LENGTH = b"content-length"
_MAX_DIGITS = 18  # as graph.http.read_your_writes reads the position

# A body larger than this is not remembered (a page's document is a few KiB).
MAX_BODY_BYTES = 16_384
ENTRY_OVERHEAD = 256

RequestBytes = tuple[str, bytes, bytes, tuple[tuple[bytes, bytes], ...]]
"""What decides a request's answer: method, query string, body and the decisive headers."""


class Repeats:
    """Request bytes seen before and the cache key the view gave them; bounded in bytes,
    least recently used out."""

    def __init__(self, max_bytes: int = 8 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._keys: OrderedDict[RequestBytes, str] = OrderedDict()
        self._bytes = 0

    def key_of(self, request: RequestBytes) -> str | None:
        key = self._keys.get(request)
        if key is not None:
            self._keys.move_to_end(request)
        return key

    def remember(self, request: RequestBytes, key: str) -> None:
        if request in self._keys:
            self._keys[request] = key
            return
        self._keys[request] = key
        self._bytes += _size(request)
        while self._bytes > self.max_bytes:
            oldest, _ = self._keys.popitem(last=False)
            self._bytes -= _size(oldest)

    def __len__(self) -> int:
        return len(self._keys)


def _size(request: RequestBytes) -> int:
    _, query, body, headers = request
    return len(query) + len(body) + sum(len(v) + len(n) for n, v in headers) + ENTRY_OVERHEAD


def _position(sent: bytes) -> int | None:
    """The position header's number, or None when it is not one (the long way refuses it)."""
    sent = sent.strip()
    if not sent.isdigit() or len(sent) > _MAX_DIGITS:
        return None
    return int(sent)


class AnswerRepeats:
    """The middleware: a repeated request without credentials, answered from the cache."""

    def __init__(self, app: ASGIApp, cache: ResponseCache, repeats: Repeats) -> None:
        self.app = app
        self.cache = cache
        self.repeats = repeats

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method")
        if (
            scope["type"] != "http"
            or scope["path"] != "/graphql"
            or scope.get("root_path")
            or method not in ("GET", "POST")
        ):
            await self.app(scope, receive, send)
            return
        decisive: list[tuple[bytes, bytes]] = []
        position: bytes | None = None
        if_none_match: bytes | None = None
        length: bytes | None = None
        for name, value in scope["headers"]:
            if name in _DECISIVE:
                decisive.append((name, value))
            elif name == _AUTHORIZATION:
                await self.app(scope, receive, send)
                return
            # The first of a repeated header, as Starlette's ``headers.get`` reads it.
            elif name == _POSITION:
                position = value if position is None else position
            elif name == _IF_NONE_MATCH:
                if_none_match = value if if_none_match is None else if_none_match
            elif name == _CONTENT_LENGTH:
                length = value if length is None else length
        body = b""
        if method == "POST":
            if length is None or not length.isdigit() or int(length) > MAX_BODY_BYTES:
                await self.app(scope, receive, send)
                return
            # Read whole (under the body limit's deadline), then given back for the long way.
            read = await _body(receive)
            receive = _replaying(read.messages, receive)
            if read.body is None:
                await self.app(scope, receive, send)
                return
            body = read.body
        request: RequestBytes = (method, scope["query_string"], body, tuple(decisive))
        if not await self._answered(scope, receive, send, request, position, if_none_match):
            scope.setdefault("state", {})[REQUEST_BYTES] = request
            await self.app(scope, receive, send)

    async def _answered(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        request: RequestBytes,
        position: bytes | None,
        if_none_match: bytes | None,
    ) -> bool:
        """Whether the request was answered here, from a kept answer that still holds."""
        key = self.repeats.key_of(request)
        if key is None:
            return False
        entry = self.cache.get(self.cache.key_for(key, None))
        if entry is None:
            return False
        at_least = 0 if position is None else _position(position)
        if at_least is None:
            return False
        services: Services = scope["app"].state.services
        head = await services.changes.current(at_least=at_least)
        if head < at_least or services.changes.changed_since(entry.position, entry.articles):
            return False
        self.cache.stats.hits += 1
        self.cache.stats.repeats += 1
        tag = None if if_none_match is None else if_none_match.decode("latin-1")
        response = answer_or_not_modified(tag, entry.body, entry.media_type, entry.etag, False)
        await response(scope, receive, send)
        return True


@dataclass(frozen=True)
class _Read:
    messages: list[Message]  # as they came
    body: bytes | None  # None: the client left, or sent more than it declared


async def _body(receive: Receive) -> _Read:
    """The request's body, read to its end (its length is declared and small)."""
    messages: list[Message] = []
    pieces: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return _Read(messages, None)
        piece = message.get("body", b"")
        pieces.append(piece)
        size += len(piece)
        if size > MAX_BODY_BYTES:
            return _Read(messages, None)
        if not message.get("more_body", False):
            return _Read(messages, b"".join(pieces))


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    """``receive`` with ``messages`` given back first, for the long way to read."""
    waiting = list(messages)

    async def replay() -> Message:
        if waiting:
            return waiting.pop(0)
        return await receive()

    return replay
