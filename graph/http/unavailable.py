"""A request that cannot reach the database is answered 503, not as a server error.

When a request fails before its answer has begun because the database could not be reached
(its token's check, a known page's read, learning a position it sent back, anything before
the executor answers), it is answered ``503 Service Unavailable`` with ``Retry-After`` and
one GraphQL error, ``DATABASE_UNAVAILABLE``, carrying the request's id, on every route (the
feeds' clients look at the status); a browser's visit to a page other than the API (one that
accepts HTML: the unsubscribe link) gets a short page saying so instead. A field that fails
so inside an executed answer carries the same code in that answer (``graph.http.guards``),
and a WebSocket's ``connection_init`` closes with 1013 (``graph.http.websocket``). The log
says it in one line, without a trace: it is the database's state, not a fault of this code.
What ``ledger.store.unreachable`` counts as out of reach never includes a commit of unknown
outcome, which is told in its own words.

The service's start is the other place it can meet the database away: ``serve`` waits for
it first, but it may go away between that look and the app's start (its migrations' check,
the catch-up, the first reads). Uvicorn then logs what the app's lifespan reports, which
Starlette makes a trace; ``StartWithoutDatabase`` reports it in one line instead.
"""

from __future__ import annotations

import json
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.http.media_types import accepts_html
from graph.http.refusals import error_body
from ledger.store.said import described, shown
from ledger.store.unreachable import unreachable

__all__ = [
    "DATABASE_UNAVAILABLE",
    "RETRY_AFTER_SECONDS",
    "DatabaseUnavailable",
    "StartWithoutDatabase",
    "log_unavailable",
]

log = logging.getLogger("evidence_ledger.errors")

DATABASE_UNAVAILABLE = "The database cannot be reached just now. Try again shortly."
RETRY_AFTER_SECONDS = 1
"""What ``Retry-After`` asks: the pool opens a new connection on the next request."""


class DatabaseUnavailable:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        except Exception as error:
            if started or not unreachable(error):
                raise
            request_id = scope.get("state", {}).get("request_id")
            log_unavailable(request_id, error)
            if _a_visit(scope):
                await _answer_the_visitor(send, request_id)
            else:
                await _answer(send, request_id)


class StartWithoutDatabase:
    """A start that fails because the database (``database``, its URL) cannot be reached is
    reported in one line; any other failure keeps its trace (it is this code's fault, and
    the trace says where)."""

    def __init__(self, app: ASGIApp, database: str) -> None:
        self.app = app
        self.database = database

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        failed: Message | None = None

        async def holding_a_failure(message: Message) -> None:
            # Starlette reports a failed start, then raises what failed it: the report waits
            # for the error, to be told in its words.
            nonlocal failed
            if message["type"] == "lifespan.startup.failed":
                failed = message
            else:
                await send(message)

        try:
            await self.app(scope, receive, holding_a_failure)
        except BaseException as error:
            if failed is not None and isinstance(error, Exception) and unreachable(error):
                failed = {**failed, "message": self._start_without(error)}
            raise
        finally:
            if failed is not None:
                await send(failed)

    def _start_without(self, error: Exception) -> str:
        return (
            f"the service cannot start: the database at {shown(self.database)} cannot be "
            f"reached ({described(error)[:300]}); start it again once the database answers"
        )


def log_unavailable(request_id: str | None, error: BaseException) -> None:
    """One line for a request that could not reach the database, without a trace."""
    log.warning(json.dumps({"request_id": request_id, "database_unavailable": repr(error)[:300]}))


def _a_visit(scope: Scope) -> bool:
    """A browser's visit to a page (not the API, whose clients read the JSON error)."""
    # The path within the app: behind a proxy that serves it under a prefix, the API is
    # still the API.
    path, prefix = scope["path"], scope.get("root_path", "").rstrip("/")
    if prefix and path.startswith(f"{prefix}/"):
        path = path[len(prefix) :]
    accept = dict(scope["headers"]).get(b"accept", b"").decode("latin-1")
    return path != "/graphql" and accepts_html(accept)


_PAGE = (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
    "<title>Try again shortly</title></head><body><main><h1>Try again shortly</h1>"
    "<p>The service cannot reach its database just now. Please try again in a moment.</p>"
    "<p><small>Request {request_id}</small></p></main></body></html>"
)


async def _answer_the_visitor(send: Send, request_id: str | None) -> None:
    # The request's id is a hex string (graph.http.logging): nothing to escape.
    page = _PAGE.format(request_id=request_id or "")
    await _send(send, page.encode(), b"text/html; charset=utf-8")


async def _answer(send: Send, request_id: str | None) -> None:
    extensions = {} if request_id is None else {"requestId": request_id}
    body = error_body("DATABASE_UNAVAILABLE", DATABASE_UNAVAILABLE, **extensions)
    await _send(send, body, b"application/json; charset=utf-8")


async def _send(send: Send, body: bytes, media_type: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", media_type),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
