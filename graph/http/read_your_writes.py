"""Read-your-writes by position: the ``Ledger-Position`` header.

Every mutation's answer carries ``Ledger-Position: N``, the ledger position it committed at
(the highest, when a document holds several mutations). A client that sends it back on a
later request is never answered from a state older than N, whichever process answers and
whether reads go to a replica or not:

- before the request runs, this process learns the ledger at least up to N
  (``LedgerChanges.current(at_least=N)``: a read of the log when N is not known yet), so
  what it serves or caches afterwards includes N; the position is left in
  ``request.state.ledger_position`` (0 when none was sent) for whoever needs it again;
- with a replica (``serve --replica-url``), the request's reads go to it only when it has
  replayed N, else to the primary (``request.state.read_database``);
- N beyond the ledger's head is refused at once (400, ``BAD_USER_INPUT``): every position a
  mutation answered with is committed before its answer is sent, so the primary knows it by
  the time the client sends it back. A made-up number never waits.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from graph.http.media_types import JSON, negotiate
from graph.http.refusals import error_body
from graph.schema.context import Services
from graph.schema.position_header import POSITION_HEADER

__all__ = ["ReadYourWrites"]

# Far above any ledger's length; longer is refused before ``int`` reads it.
_MAX_DIGITS = 18


class _BadPosition(Exception):
    pass


def _position_sent(request: Request) -> int:
    sent = request.headers.get(POSITION_HEADER)
    if sent is None:
        return 0
    sent = sent.strip()
    if not sent.isascii() or not sent.isdigit() or len(sent) > _MAX_DIGITS:
        raise _BadPosition(
            f"{POSITION_HEADER} must be a ledger position as a mutation answered it "
            f"(a whole number), not {sent[:40]!r}."
        )
    return int(sent)


class ReadYourWrites:
    """Around the GraphQL view: holds a request back until this process knows the position
    it was sent with, and picks where its reads go."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        services: Services = request.app.state.services
        try:
            position = _position_sent(request)
        except _BadPosition as error:
            await self._refuse(request, str(error))(scope, receive, send)
            return
        request.state.ledger_position = position
        if position:
            head = await services.changes.current(at_least=position)
            if head < position:
                refusal = (
                    f"The ledger has no position {position}: its head is at {head}. Send back "
                    f"the {POSITION_HEADER} a mutation answered with."
                )
                await self._refuse(request, refusal)(scope, receive, send)
                return
        if services.replica is not None and await services.replica.has_replayed(position):
            request.state.read_database = services.replica.engine
        await self.app(scope, receive, send)

    def _refuse(self, request: Request, reason: str) -> Response:
        media_type = negotiate(request.headers.get("accept")) or JSON
        return Response(
            error_body("BAD_USER_INPUT", reason),
            status_code=400,
            media_type=f"{media_type}; charset=utf-8",
        )
