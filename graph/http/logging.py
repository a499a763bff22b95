"""One structured log line per request; never tokens, never bodies."""

from __future__ import annotations

import json
import logging
import time
import uuid

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CLIENT_CLOSED_REQUEST", "RequestLogging"]

log = logging.getLogger("evidence_ledger.requests")

# The status logged for a client that left before its request was whole (nginx's "client
# closed request"): nothing is answered, and nothing went wrong here.
CLIENT_CLOSED_REQUEST = 499


class RequestLogging:
    """Logs method, path, status and duration, and gives each request an id (X-Request-ID).
    A client that disconnects while sending its request is logged as status 499."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
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
            log.info(
                json.dumps(
                    {
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                    }
                )
            )
