"""A request body larger than the limit is refused with 413 before anything reads it whole,
and one that does not arrive in time with 408."""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.http.refusals import error_body

__all__ = ["BodyLimit"]


class BodyTooLarge(Exception):
    pass


class BodyTooSlow(Exception):
    pass


class BodyLimit:
    """Checks Content-Length first, then counts what arrives (a chunked body has none).

    The whole body must arrive within ``read_seconds`` of the request's head: a deadline
    for the body, not for each piece of it, since a client trickling a byte at a time would
    meet any wait between two pieces and hold its connection for as long as it liked.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, read_seconds: float | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.read_seconds = read_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send, 413, "BODY_TOO_LARGE", self._too_large())
            return
        received = 0
        body_whole = False
        started = False
        loop = asyncio.get_running_loop()
        deadline = None if self.read_seconds is None else loop.time() + self.read_seconds

        async def counting_receive() -> Message:
            nonlocal received, body_whole
            if body_whole or deadline is None:
                # Past the body, receive waits for the client to leave: no deadline.
                message = await receive()
            else:
                try:
                    async with asyncio.timeout_at(deadline):
                        message = await receive()
                except TimeoutError:
                    raise BodyTooSlow from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_whole = not message.get("more_body", False)
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(send, 413, "BODY_TOO_LARGE", self._too_large())
        except BodyTooSlow:
            if started:
                raise
            await self._refuse(
                send,
                408,
                "REQUEST_TIMEOUT",
                f"The request body did not arrive within {self.read_seconds:g} seconds.",
            )

    def _too_large(self) -> str:
        return f"The request body is larger than {self.max_bytes} bytes."

    async def _refuse(self, send: Send, status: int, code: str, message: str) -> None:
        body = error_body(code, message)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
