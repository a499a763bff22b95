"""The database a command names: opening it, refusing one that is missing or not migrated,
and turning what can go wrong with it into one clear line (exit status 2).

The only module of the command line that knows SQLAlchemy: the engine it opens and the
errors it raises. Everything a command reads or writes goes through the ledger's API.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from graph.cli.output import fail
from ledger.domain.errors import LedgerError
from ledger.store.db import DEFAULT_DATABASE_URL, async_url, create_engine
from ledger.store.event_store import CommitUnknown, TransactionLost
from ledger.store.revision import HEAD_REVISION, current_revision
from ledger.store.said import described, shown
from ledger.store.unreachable import unreachable

__all__ = [
    "DEFAULT_DATABASE_URL",
    "AsyncEngine",
    "DatabaseOption",
    "require_schema",
    "started",
    "wait_for_database",
    "with_engine",
]

log = logging.getLogger("evidence_ledger")

# The first wait between two tries to reach a database, doubled at each, up to the longest.
FIRST_WAIT_SECONDS = 0.5
LONGEST_WAIT_SECONDS = 5.0
# The least time one try to reach a database is given (asyncpg alone would wait a minute).
TRY_SECONDS = 2.0

T = TypeVar("T")

DatabaseOption = Annotated[
    str,
    typer.Option(
        "--database",
        envvar="DATABASE_URL",
        help="sqlite:///path.db or postgresql://user@host/db",
        show_default=True,
    ),
]


class NotMigrated(Exception):
    pass


class NoDatabase(Exception):
    pass


def with_engine(
    url: str, work: Callable[[AsyncEngine], Awaitable[T]], *, create: bool = False
) -> T:
    """Run ``work`` on an engine for ``url``; expected failures become one clear line.

    Only ``create`` (migrate) may bring a new SQLite file into being: any other command would
    leave an empty file behind and then ask for a migration."""

    async def run() -> T:
        if not create:
            _require_database_file(url)
        engine = create_engine(url)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except (
        ValueError,
        LedgerError,
        SQLAlchemyError,
        TransactionLost,
        CommitUnknown,
        OSError,
        NotMigrated,
        NoDatabase,
    ) as error:
        fail(described(error))


def started(url: str, start: Callable[[], Awaitable[T]]) -> T:
    """Run ``start``, a service's first work on its database at ``url`` (after
    ``wait_for_database``): the database gone meanwhile is said in one line (exit status 2).
    Any other failure keeps its trace, as the app's own start does: it is a fault to find."""

    async def run() -> T:
        try:
            return await start()
        except Exception as error:
            if not unreachable(error):
                raise
            raise NoDatabase(
                f"the database at {shown(url)} cannot be reached: {described(error)}"
            ) from error

    try:
        return asyncio.run(run())
    except NoDatabase as away:
        fail(str(away))


def wait_for_database(url: str, seconds: float) -> None:
    """Return once the database at ``url`` answers. While it cannot be reached (a service
    started beside its database, before it listens), ask again for up to ``seconds``,
    saying so once; then, or for any other failure at once, fail in one line. Each try is
    bounded too: a server that accepts and never answers is not waited for beyond that."""

    async def answered(engine: AsyncEngine) -> None:
        began = time.monotonic()
        wait = FIRST_WAIT_SECONDS
        while True:
            left = seconds - (time.monotonic() - began)
            try:
                async with asyncio.timeout(max(left, TRY_SECONDS)):
                    async with engine.connect() as conn:
                        await conn.execute(text("SELECT 1"))
                return
            except TimeoutError as error:
                away: Exception = error  # no answer within the try's time: away too
            except Exception as error:
                if not unreachable(error):
                    if isinstance(error, SQLAlchemyError):
                        raise  # said in one line by ``with_engine``, the database's words
                    # Said with the database it is about (a TLS error alone names none).
                    raise NoDatabase(
                        f"the database at {shown(engine.url)} cannot be opened: "
                        f"{type(error).__name__}: {described(error)}"
                    ) from error
                away = error
            waited = time.monotonic() - began
            if waited >= seconds:
                raise NoDatabase(
                    f"the database at {shown(engine.url)} cannot be reached "
                    f"(waited {waited:.0f} s): {described(away)}"
                ) from None
            if wait == FIRST_WAIT_SECONDS:
                log.warning(
                    "waiting up to %g s for the database at %s to answer (%s)",
                    seconds,
                    shown(engine.url),
                    described(away),
                )
            await asyncio.sleep(min(wait, seconds - waited))
            wait = min(wait * 2, LONGEST_WAIT_SECONDS)

    with_engine(url, answered)


def _require_database_file(url: str) -> None:
    target = async_url(url)
    path = target.database
    if target.get_backend_name() != "sqlite" or not path or path == ":memory:":
        return
    if not Path(path).exists():
        raise NoDatabase(
            f"no database at {shown(target)}: create one with `evidence-ledger migrate` "
            "(or `evidence-ledger serve`, which migrates on start), or name an existing one "
            "with --database or DATABASE_URL"
        )


async def require_schema(engine: AsyncEngine) -> None:
    """Refuse a database whose schema is not at the newest migration, saying what to run."""
    revision = await current_revision(engine)
    if revision != HEAD_REVISION:
        where = shown(engine.url)
        state = "has no ledger schema" if revision is None else f"is at revision {revision}"
        raise NotMigrated(
            f"the database at {where} {state}, not {HEAD_REVISION}: run `evidence-ledger migrate`"
        )
