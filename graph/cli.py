"""The ``evidence-ledger`` command."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TimeElapsedColumn,
)
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.chain import verify_chain
from ledger.db import DEFAULT_DATABASE_URL, create_engine
from ledger.errors import LedgerError
from ledger.importing import ImportedLine, import_articles
from ledger.migrate import current_revision, head_revision, upgrade
from ledger.rebuild import ProjectionReport, RebuildReport, rebuild, verify_projections
from ledger.records import Actor, ChainReport
from ledger.sample import load_sample
from ledger.service import EvidenceLedger
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


class NotMigrated(Exception):
    pass


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


def _describe(error: Exception) -> str:
    if isinstance(error, DBAPIError):
        return f"database error: {error.orig}".splitlines()[0]
    return str(error).splitlines()[0]


async def _require_schema(engine: AsyncEngine) -> None:
    if await current_revision(engine) != head_revision():
        raise NotMigrated("the database schema is not up to date: run `evidence-ledger migrate`")


@contextmanager
def _progress(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


def _operator() -> Actor:
    """Whoever runs the command acts as an editor, named after their login."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return Actor(f"cli:{name}", "editor")


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
    """Recompute the hash chain and replay the views; exit 1 naming what does not hold."""

    async def work(engine: AsyncEngine) -> tuple[ChainReport, ProjectionReport | None]:
        await _require_schema(engine)
        store = EventStore(engine)
        head = await store.head()
        with _progress("verifying the chain", head.position) as advance:
            chain = await verify_chain(engine, progress=advance)
        if not chain.ok:
            return chain, None
        with _progress("replaying the views", head.position) as advance:
            return chain, await verify_projections(store, progress=advance)

    chain, views = _with_engine(database, work)
    if not chain.ok:
        typer.echo(f"broken: position {chain.first_broken_position}: {chain.reason}")
        raise typer.Exit(code=1)
    typer.echo(f"ok: {chain.checked_events} events")
    assert views is not None
    if views.behind:
        typer.echo(
            f"views are behind the ledger: at position {views.position} of "
            f"{views.head_position}; run `evidence-ledger rebuild`"
        )
        raise typer.Exit(code=1)
    if not views.ok:
        first = views.mismatches[0]
        where = f"article {views.first_article}" if views.first_article else first.table
        typer.echo(f"views differ from a replay: first at {where} (table {first.table})")
        raise typer.Exit(code=1)
    typer.echo(f"ok: views equal a replay at position {views.position}")


@app.command("rebuild")
def rebuild_views(database: DatabaseOption = DEFAULT_DATABASE_URL) -> None:
    """Replay the whole log into fresh views and swap them in."""

    async def work(engine: AsyncEngine) -> RebuildReport:
        await _require_schema(engine)
        store = EventStore(engine)
        head = await store.head()
        with _progress("rebuilding the views", head.position) as advance:
            return await rebuild(store, progress=advance)

    report = _with_engine(database, work)
    typer.echo(
        f"ok: rebuilt from {report.events} events in {report.seconds:.2f} s "
        f"({report.events_per_second:,.0f} events/s)"
    )


@app.command("load-sample")
def load_sample_article(database: DatabaseOption = DEFAULT_DATABASE_URL) -> None:
    """Load the sample article, its disciplines, raters and ratings (idempotent)."""

    async def work(engine: AsyncEngine) -> int:
        await _require_schema(engine)
        store = EventStore(engine)
        await load_sample(EvidenceLedger(store))
        return (await store.head()).position

    position = _with_engine(database, work)
    typer.echo(f"ok: sample loaded; the ledger is at position {position}")


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    database: DatabaseOption = DEFAULT_DATABASE_URL,
) -> None:
    """Import articles from a JSON Lines file; refused lines are listed, the rest imported."""
    lines = file.read_text(encoding="utf-8").splitlines()

    async def work(engine: AsyncEngine) -> list[ImportedLine]:
        await _require_schema(engine)
        ledger = EvidenceLedger(EventStore(engine))
        outcomes = []
        with _progress("importing", len(lines)) as advance:
            async for outcome in import_articles(ledger, lines, actor=_operator()):
                outcomes.append(outcome)
                advance(1)
        return outcomes

    outcomes = _with_engine(database, work)
    for line in outcomes:
        if line.outcome == "refused":
            typer.echo(f"line {line.number}: refused: {line.reason}", err=True)
    counts = {
        kind: sum(1 for o in outcomes if o.outcome == kind)
        for kind in ("imported", "unchanged", "refused")
    }
    typer.echo(
        f"{counts['imported']} imported, {counts['unchanged']} already there, "
        f"{counts['refused']} refused"
    )
    if counts["refused"]:
        raise typer.Exit(code=1)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
