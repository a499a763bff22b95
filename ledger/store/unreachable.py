"""Whether a failure says the database could not be reached, rather than that it refused
what was asked: the one question a caller needs answered to say "try again shortly"."""

from __future__ import annotations

import logging
import ssl
from types import TracebackType

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from ledger.store.event_store import CommitUnknown, TransactionLost

__all__ = ["Outage", "unreachable"]

# PostgreSQL's words for a session it cannot give or keep: the connection exceptions of
# class 08 (not 08P01, a protocol violation: a driver's fault), the server shutting down,
# crashed or starting up (57P01-57P03), no connection left (53300). The SQLSTATE is asked,
# not the driver's classes: every driver carries it.
_UNREACHABLE_STATES = frozenset(
    {"08000", "08001", "08003", "08004", "08006", "08007", "57P01", "57P02", "57P03", "53300"}
)
# Where a network error (refused, reset, timed out, no such socket) counts as the database's:
# raised by a database driver or SQLAlchemy's pool, not by a file or a timer of the app (even
# one run inside SQLAlchemy's machinery, as the append and the migrations are). The standard
# library's frames under it (asyncio's sockets) are passed over.
_DATABASE_CODE = ("asyncpg", "aiosqlite", "sqlalchemy.pool", "sqlalchemy.dialects")
_UNDERNEATH = frozenset({"asyncio", "socket", "ssl", "selectors", "concurrent", "threading"})
# How far a failure's causes are followed (SQLAlchemy wraps the driver's adapter, which
# wraps the driver's own error).
_DEPTH = 4


def _raised_in_database_code(traceback: TracebackType | None) -> bool:
    """Whether the innermost frame above the standard library's is a database driver's."""
    modules: list[str] = []
    while traceback is not None:
        module = traceback.tb_frame.f_globals.get("__name__", "")
        modules.append(module if isinstance(module, str) else "")
        traceback = traceback.tb_next
    for module in reversed(modules):
        if module.split(".", 1)[0] not in _UNDERNEATH:
            return module.startswith(_DATABASE_CODE)
    return False


def unreachable(error: BaseException) -> bool:
    """Whether ``error`` says the database could not be reached or its connection failed:
    refused, reset or timed out on the network, a session the server ended or would not
    open, a connection found ended, every pooled connection in use past the wait, or a
    write's transaction lost on every attempt. Not a commit of unknown outcome
    (``CommitUnknown``): that write may have been made."""
    found: BaseException | None = error
    for _ in range(_DEPTH):
        if found is None or isinstance(found, CommitUnknown):
            return False
        if isinstance(found, PoolTimeout | TransactionLost):
            return True
        if isinstance(found, ssl.SSLError):
            return False  # a certificate or TLS setting: asking again changes nothing
        if isinstance(found, OSError):
            return _raised_in_database_code(found.__traceback__)
        if isinstance(found, DBAPIError):
            if found.connection_invalidated:
                return True
            found = found.orig
            continue
        if getattr(found, "sqlstate", None) in _UNREACHABLE_STATES:
            return True
        found = found.__cause__
    return False


class Outage:
    """A background task's failures, logged as an operator wants them while the database is
    away: once as the outage begins and once as it ends, not at every attempt. A failure
    that is not the database's being away is logged each time, with its trace."""

    def __init__(self, logger: logging.Logger, task: str) -> None:
        self.log = logger
        self.task = task
        self.failures = 0  # in a row, of any kind (what a caller's wait grows with)
        self.away = False  # an outage was said to begin, and not yet to end

    def failed(self, error: BaseException) -> None:
        self.failures += 1
        if not unreachable(error):
            self.log.error("%s failed; trying again", self.task, exc_info=error)
        elif not self.away:
            self.away = True
            self.log.warning("%s: the database cannot be reached (%r)", self.task, error)
        else:
            self.log.debug("%s: the database is still away (%r)", self.task, error)

    def succeeded(self) -> None:
        if self.away:
            self.log.warning("%s: working again after %d failures", self.task, self.failures)
        self.failures, self.away = 0, False
