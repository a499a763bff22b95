"""Subscriptions over WebSocket at ``/graphql``: the ``graphql-transport-ws`` protocol only.

- The handshake's origin is checked by Strawberry against the same origins as CORS (a page
  of another origin may connect only when the deployment names it); same-origin pages and
  clients that send no ``Origin`` (not browsers) may always connect.
- Authentication is in ``connection_init``: its payload carries the same bearer token as
  HTTP, as ``{"Authorization": "Bearer <token>"}`` (``authorization``, ``authToken`` and
  ``token`` are taken too). An unknown, expired or revoked token, or a malformed one, closes
  the connection with the protocol's ``4403: Forbidden``; no token is an anonymous caller.
  A token sent as a header of the handshake itself is checked there, by the HTTP
  authentication, and used when ``connection_init`` carries none.
- A subscription that cannot keep up with what it must send (``ledger.read.live``) has its
  connection closed with ``1013`` (Try Again Later) and the reason ``SLOW_CONSUMER_REASON``:
  the client reconnects and resumes from the last position it received.
- A ``connection_init`` whose token cannot be checked because the database cannot be reached
  closes the connection with ``1013`` too, and the reason ``UNAVAILABLE_REASON``.
- The legacy ``graphql-ws`` protocol is not offered: a handshake asking only for it is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UnsetType

from graph.http.auth import PrincipalUser
from graph.http.unavailable import log_unavailable
from graph.http.view import EvidenceGraphQL
from graph.schema.context import Context
from graph.schema.live_context import LiveContext
from ledger.store.unreachable import unreachable
from ledger.use_cases.tokens import Principal, authenticate

__all__ = [
    "SLOW_CONSUMER_CODE",
    "SLOW_CONSUMER_REASON",
    "SUBSCRIPTION_PROTOCOLS",
    "TRY_AGAIN_LATER",
    "UNAVAILABLE_REASON",
    "LiveGraphQL",
]

SUBSCRIPTION_PROTOCOLS = (GRAPHQL_TRANSPORT_WS_PROTOCOL,)
TRY_AGAIN_LATER = 1013
SLOW_CONSUMER_CODE = TRY_AGAIN_LATER
SLOW_CONSUMER_REASON = "slow consumer: reconnect and resume after the last position received"
UNAVAILABLE_REASON = "the database cannot be reached just now: try again later"
_TOKEN_KEYS = ("Authorization", "authorization", "authToken", "token")

log = logging.getLogger("evidence_ledger.live")


def _token_sent(params: dict[str, Any]) -> str | None:
    """The bearer token in ``connection_init``'s payload; ValueError when malformed."""
    for key in _TOKEN_KEYS:
        value = params.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise ValueError("the token must be a string")
        scheme, _, token = value.partition(" ")
        if not token:  # a bare token
            token = scheme
        elif scheme.lower() != "bearer":
            raise ValueError("the token must be sent as `Bearer <token>`")
        if not token.strip():
            raise ValueError("the token is empty")
        return token.strip()
    return None


def _handshake_principal(websocket: WebSocket) -> Principal | None:
    user = websocket.scope.get("user")
    return user.principal if isinstance(user, PrincipalUser) else None


class _TextMessages(ASGIWebSocketAdapter):
    """The protocol's messages are text frames; the view's JSON encoder gives bytes."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class LiveGraphQL(EvidenceGraphQL):
    """The GraphQL view with its WebSocket side: a context per connection, authenticated by
    ``connection_init``."""

    websocket_adapter_class = _TextMessages  # type: ignore[assignment]  # (as Strawberry does)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        if not isinstance(request, WebSocket):
            return await super().get_context(request, response)
        services = request.app.state.services
        context = LiveContext(request, response, services, _handshake_principal(request))  # type: ignore[arg-type]
        context.connection_params = {}
        closing: set[asyncio.Task[None]] = set()

        def close_behind() -> None:
            log.warning("closing a WebSocket whose subscription fell behind")
            task = asyncio.ensure_future(_close(request, SLOW_CONSUMER_CODE, SLOW_CONSUMER_REASON))
            closing.add(task)
            task.add_done_callback(closing.discard)

        request.state.close_behind = close_behind
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        assert isinstance(context, LiveContext)
        try:
            token = _token_sent(context.connection_params)
        except ValueError as error:
            raise ConnectionRejectionError({"message": str(error)}) from None
        if token is None:
            return await super().on_ws_connect(context)
        try:
            principal = await authenticate(context.services.engine, token)
        except Exception as error:
            if not unreachable(error):
                raise
            log_unavailable(None, error)
            websocket = context.request
            assert isinstance(websocket, WebSocket), "a LiveContext is a WebSocket's"
            await _close(websocket, TRY_AGAIN_LATER, UNAVAILABLE_REASON)
            raise WebSocketDisconnected from None  # Strawberry's handler ends it quietly
        if principal is None:
            raise ConnectionRejectionError({"message": "unknown, expired or revoked token"})
        context.principal = principal
        return await super().on_ws_connect(context)


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.application_state is WebSocketState.DISCONNECTED:
        return
    # Closed meanwhile by either side (Starlette says a send that failed is a disconnect).
    with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
        await websocket.close(code=code, reason=reason)
