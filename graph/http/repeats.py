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
is not a plain number, or names a position this process cannot reach (read-your-writes
refuses it in its own words), and one whose body is larger than a page's document. The body is read
here only when its method, query string and decisive headers were remembered before, so
a request the view refuses for its headers alone (406, 415, CSRF) is refused as soon, without
waiting for its body; a document named by a persisted query's hash is answered only while
the persisted queries still hold it (``graph.http.persisted_queries``), as the view would.
Where reads may go to a replica, the long way asks it first whether it has replayed the
position sent; a kept answer reads nothing, so it is answered here without asking.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.http.conditional import answer_or_not_modified
from graph.http.csrf import PREFLIGHT_HEADERS
from graph.http.persisted_queries import PersistedQueries
from graph.http.response_cache import ResponseCache
from graph.schema.context import Services

__all__ = ["AnswerRepeats", "Repeats", "RequestBytes", "request_bytes"]

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
# Bytes counted per request remembered besides its own (the tuples, the key, the entry).
ENTRY_OVERHEAD = 640

Prefix = tuple[str, bytes, tuple[tuple[bytes, bytes], ...]]
"""A request's method, query string and decisive headers, in the order they came."""
RequestBytes = tuple[Prefix, bytes]
"""What decides a request's answer: its prefix and its body."""


def _prefix(scope: Scope) -> Prefix:
    decisive = tuple((name, value) for name, value in scope["headers"] if name in _DECISIVE)
    return scope["method"], scope["query_string"], decisive


def request_bytes(scope: Scope, body: bytes) -> RequestBytes:
    """The bytes that decide the answer to the request of ``scope`` with this body."""
    return _prefix(scope), body


@dataclass(frozen=True)
class _Remembered:
    key: str  # the response cache's key of the role (``CachedRequest.role_key``)
    persisted: str | None  # the persisted query's hash the request named, if any


class Repeats:
    """Request bytes seen before and the cache key the view gave them; bounded in bytes,
    least recently used out."""

    def __init__(self, max_bytes: int = 8 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._known: OrderedDict[RequestBytes, _Remembered] = OrderedDict()
        self._prefixes: Counter[Prefix] = Counter()
        self._bytes = 0

    def knows_prefix(self, prefix: Prefix) -> bool:
        """Whether some request remembered began so (its body is then worth reading)."""
        return prefix in self._prefixes

    def get(self, request: RequestBytes) -> _Remembered | None:
        remembered = self._known.get(request)
        if remembered is not None:
            self._known.move_to_end(request)
        return remembered

    def remember(self, request: RequestBytes, key: str, persisted: str | None) -> None:
        """``request`` comes to the cache's ``key``; by the persisted query ``persisted``."""
        if request not in self._known:
            self._bytes += _size(request)
            self._prefixes[request[0]] += 1
        self._known[request] = _Remembered(key, persisted)
        self._known.move_to_end(request)
        while self._bytes > self.max_bytes:
            oldest, _ = self._known.popitem(last=False)
            self._bytes -= _size(oldest)
            self._prefixes[oldest[0]] -= 1
            if not self._prefixes[oldest[0]]:
                del self._prefixes[oldest[0]]

    def __len__(self) -> int:
        return len(self._known)


def _size(request: RequestBytes) -> int:
    (_, query, headers), body = request
    return len(query) + len(body) + sum(len(v) + len(n) for n, v in headers) + ENTRY_OVERHEAD


def _position(sent: bytes) -> int | None:
    """The position header's number, or None when it is not one (the long way refuses it)."""
    sent = sent.strip()
    if not sent.isdigit() or len(sent) > _MAX_DIGITS:
        return None
    return int(sent)


@dataclass(frozen=True)
class _Head:
    """The headers read here (the first of each, as Starlette's ``headers.get`` reads it)."""

    credentials: bool
    position: bytes | None
    if_none_match: bytes | None
    length: bytes | None

    @classmethod
    def of(cls, scope: Scope) -> _Head:
        found: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            if name in (_AUTHORIZATION, _POSITION, _IF_NONE_MATCH, _CONTENT_LENGTH):
                found.setdefault(name, value)
        return cls(
            _AUTHORIZATION in found,
            found.get(_POSITION),
            found.get(_IF_NONE_MATCH),
            found.get(_CONTENT_LENGTH),
        )


class AnswerRepeats:
    """The middleware: a repeated request without credentials, answered from the cache."""

    def __init__(
        self,
        app: ASGIApp,
        cache: ResponseCache,
        repeats: Repeats,
        persisted_queries: PersistedQueries,
    ) -> None:
        self.app = app
        self.cache = cache
        self.repeats = repeats
        self.persisted_queries = persisted_queries

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != "/graphql"
            or scope.get("root_path")
            or scope["method"] not in ("GET", "POST")
        ):
            await self.app(scope, receive, send)
            return
        head = _Head.of(scope)
        at_least = 0 if head.position is None else _position(head.position)
        prefix = _prefix(scope)
        if head.credentials or at_least is None or not self.repeats.knows_prefix(prefix):
            await self.app(scope, receive, send)
            return
        services: Services = scope["app"].state.services
        # As the long way does first: a position not reached is refused before the body.
        if at_least and await services.changes.current(at_least=at_least) < at_least:
            await self.app(scope, receive, send)
            return
        body = b""
        if scope["method"] == "POST":
            length = head.length
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
        answered = await self._answered(
            scope, receive, send, (prefix, body), at_least, head.if_none_match
        )
        if not answered:
            await self.app(scope, receive, send)

    async def _answered(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        request: RequestBytes,
        at_least: int,
        if_none_match: bytes | None,
    ) -> bool:
        """Whether the request was answered here, from a kept answer that still holds."""
        remembered = self.repeats.get(request)
        if remembered is None:
            return False
        entry = self.cache.get(self.cache.key_for(remembered.key, None))
        if entry is None:
            return False
        # A document named by its hash alone is the view's to refuse once no longer kept.
        if remembered.persisted is not None and not self.persisted_queries.touch(
            remembered.persisted
        ):
            return False
        changes = scope["app"].state.services.changes
        await changes.current(at_least=at_least)
        if changes.changed_since(entry.position, entry.articles):
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
    body: bytes | None  # None: the client left, or sent more than a page's document


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
