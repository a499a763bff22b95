"""One structured log line per request; never tokens, never bodies."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator

import orjson
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

__all__ = ["CLIENT_CLOSED_REQUEST", "OperationNameLogged", "RequestLogging", "log_operation"]

log = logging.getLogger("evidence_ledger.requests")

# The status logged for a client that left before its request was whole (nginx's "client
# closed request"): nothing is answered, and nothing went wrong here.
CLIENT_CLOSED_REQUEST = 499

# Where a request's state keeps the operation's name for its log line (Starlette's
# ``request.state`` is this dict of the scope).
_OPERATION = "operation_name"


def log_operation(state: object, name: str | None) -> None:
    """Name the operation in the request's log line (``state``: the request's state)."""
    if name is not None:
        setattr(state, _OPERATION, name)


class OperationNameLogged(SchemaExtension):
    """Hands the executed operation's name to the request's log line."""

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        request = getattr(context, "request", None)
        if request is not None:
            log_operation(request.state, self.execution_context.operation_name)


class RequestLogging:
    """Logs method, path, status, duration and the operation's name, in one line per request
    (uvicorn's own access log is off), and gives each request an id (X-Request-ID). A client
    that disconnects while sending its request is logged as status 499."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except ClientDisconnect:
            # Not raised further: no one is left to answer, and it is no server error.
            status = CLIENT_CLOSED_REQUEST
        finally:
            line = {
                "request_id": request_id,
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 2),
            }
            operation = state.get(_OPERATION)
            if operation is not None:
                line["operation"] = operation
            log.info(orjson.dumps(line).decode())
