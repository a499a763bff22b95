"""The ``evidence-ledger`` command."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.chain import verify_chain
from ledger.db import DEFAULT_DATABASE_URL, create_engine
from ledger.errors import LedgerError
from ledger.migrate import current_revision, head_revision, upgrade
from ledger.records import ChainReport
from ledger.store import EventStore

app = typer.Typer(
    help="evidence-ledger: clinicians' ratings of research articles, on an append-only ledger.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
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


def _with_engine(url: str, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    """Run ``work`` on an engine for ``url``; expected failures become one clear line."""

    async def run() -> T:
        engine = create_engine(url)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except (ValueError, LedgerError, SQLAlchemyError, OSError, NotMigrated) as error:
        console.print(f"[red]error:[/red] {_describe(error)}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None


class NotMigrated(Exception):
    pass


def _describe(error: Exception) -> str:
    if isinstance(error, DBAPIError):
        return f"database error: {error.orig}".splitlines()[0]
    return str(error).splitlines()[0]


async def _require_schema(engine: AsyncEngine) -> None:
    if await current_revision(engine) != head_revision():
        raise NotMigrated("the database schema is not up to date: run `evidence-ledger migrate`")


@app.command()
def migrate(database: DatabaseOption = DEFAULT_DATABASE_URL) -> None:
    """Bring the database schema up to date (creates it on a new database)."""

    async def work(engine: AsyncEngine) -> str | None:
        await upgrade(engine)
        return await current_revision(engine)

    revision = _with_engine(database, work)
    typer.echo(f"ok: schema at revision {revision}")


@app.command()
def verify(database: DatabaseOption = DEFAULT_DATABASE_URL) -> None:
    """Recompute the hash chain; exit non-zero naming the first broken position."""

    async def work(engine: AsyncEngine) -> ChainReport:
        await _require_schema(engine)
        head = await EventStore(engine).head()
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("verifying", total=head.position)
            return await verify_chain(engine, progress=lambda n: bar.advance(task, n))

    report = _with_engine(database, work)
    if report.ok:
        typer.echo(f"ok: {report.checked_events} events")
        return
    typer.echo(f"broken: position {report.first_broken_position}: {report.reason}", err=False)
    raise typer.Exit(code=1)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
