"""Whether a failure says the database could not be reached, rather than that it refused
what was asked: the one question a caller needs answered to say "try again shortly"."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from ledger.store.event_store import TransactionLost

__all__ = ["unreachable"]

# PostgreSQL's words for a session it cannot give or keep: a connection exception (class
# 08), the server shutting down, crashed or starting up (57P01-57P03), no connection left
# (53300). The SQLSTATE is asked, not the driver's classes: every driver carries it.
_UNREACHABLE_STATES = ("08", "57P01", "57P02", "57P03", "53300")
# How far a failure's causes are followed (SQLAlchemy wraps the driver's adapter, which
# wraps the driver's own error).
_DEPTH = 4


def unreachable(error: BaseException) -> bool:
    """Whether ``error`` says the database could not be reached or its connection failed:
    refused, reset or timed out on the network, a session the server ended or would not
    open, a connection found ended, every pooled connection in use past the wait, or a
    write's transaction lost on every attempt. Nothing was read or written by the request
    that met it (a commit of unknown outcome is ``CommitUnknown``, not this)."""
    found: BaseException | None = error
    for _ in range(_DEPTH):
        if found is None:
            return False
        if isinstance(found, OSError | PoolTimeout | TransactionLost):
            return True
        if isinstance(found, DBAPIError):
            if found.connection_invalidated:
                return True
            found = found.orig
            continue
        state = getattr(found, "sqlstate", None)
        if isinstance(state, str) and state.startswith(_UNREACHABLE_STATES):
            return True
        found = found.__cause__
    return False
