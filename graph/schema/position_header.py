"""The ``Ledger-Position`` header a mutation's answer carries (see graph.http.read_your_writes,
which reads it back on later requests)."""

from __future__ import annotations

from starlette.responses import Response

__all__ = ["POSITION_HEADER", "answered_at"]

POSITION_HEADER = "Ledger-Position"


def answered_at(response: Response, position: int) -> None:
    """Mark an answer with the position a mutation committed at: the highest, when one
    document holds several mutations (a client sending it back then sees all of them)."""
    known = response.headers.get(POSITION_HEADER)
    if known is None or int(known) < position:
        response.headers[POSITION_HEADER] = str(position)
