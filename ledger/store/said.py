"""A database and its failures in people's words: where it is, as its user named it, and
what went wrong with it, in one line. The command line's errors and the service's failed
start both say it so."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from ledger.store.db import async_url, plain_url
from ledger.store.event_store import CommitUnknown, TransactionLost

__all__ = ["described", "shown"]


def shown(url: str | URL) -> str:
    """Where a database is, as its user would name it: a SQLite file's full path, or a
    PostgreSQL URL as given (libpq's ``sslmode``) without its password."""
    target = async_url(url)
    if target.get_backend_name() == "sqlite":
        return str(Path(target.database or "").resolve())
    return plain_url(target).render_as_string(hide_password=True)


def described(error: BaseException) -> str:
    """What ``error`` says, in one line."""
    if isinstance(error, DBAPIError):
        return f"database error: {error.orig}".splitlines()[0]
    if isinstance(error, TransactionLost | CommitUnknown):
        return f"database error: {error}"
    # Some errors say nothing (a timeout): their kind is what there is to say.
    return (str(error).splitlines() or [type(error).__name__])[0]
