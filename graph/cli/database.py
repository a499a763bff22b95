"""The database's upkeep: ``migrate``, ``verify``, ``rebuild`` and ``cleanup``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from graph.cli.database_access import (
    DEFAULT_DATABASE_URL,
    AsyncEngine,
    DatabaseOption,
    require_schema,
    with_engine,
)
from graph.cli.output import progress
from ledger.audit.chain import verify_chain
from ledger.audit.export import verify_export
from ledger.replay.rebuild import (
    LeftoverReport,
    ProjectionReport,
    RebuildReport,
    drop_abandoned_replays,
    rebuild,
    verify_projections,
)
from ledger.store.records import ChainReport
from ledger.store.revision import current_revision, upgrade_to_head
from ledger.store.sql_store import SQLEventStore

__all__ = ["cleanup", "migrate", "rebuild_views", "verify"]


def migrate(database: DatabaseOption = DEFAULT_DATABASE_URL) -> None:
    """Bring the database schema up to date (creates it on a new database)."""

    async def work(engine: AsyncEngine) -> str | None:
        await upgrade_to_head(engine)
        return await current_revision(engine)

    revision = with_engine(database, work, create=True)
    typer.echo(f"ok: schema at revision {revision}")


def verify(
    database: DatabaseOption = DEFAULT_DATABASE_URL,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            exists=True,
            dir_okay=False,
            help="Check an export file instead, with no database.",
        ),
    ] = None,
) -> None:
    """Recompute the hash chain and replay the views; exit 1 naming what does not hold."""
    if file is not None:
        _verify_file(file)
        return

    async def work(engine: AsyncEngine) -> tuple[ChainReport, ProjectionReport | None]:
        await require_schema(engine)
        store = SQLEventStore(engine)
        head = await store.head()
        with progress("verifying the chain", head.position) as advance:
            chain = await verify_chain(engine, progress=advance)
        if not chain.ok:
            return chain, None
        with progress("replaying the views", head.position) as advance:
            return chain, await verify_projections(store, progress=advance)

    chain, views = with_engine(database, work)
    if not chain.ok:
        typer.echo(f"broken: position {chain.first_broken_position}: {chain.reason}")
        raise typer.Exit(code=1)
    typer.echo(f"ok: {chain.checked_events} events")
    assert views is not None
    _report_views(views)


def _report_views(views: ProjectionReport) -> None:
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


def _verify_file(file: Path) -> None:
    with file.open(encoding="utf-8") as lines, progress("verifying the file", None) as advance:
        report = verify_export(lines, progress=advance)
    if not report.ok:
        typer.echo(f"broken: line {report.bad_line}: {report.reason}")
        raise typer.Exit(code=1)
    typer.echo(
        f"ok: {report.events} events, up to position {report.last_position}, "
        f"head hash {report.head_hash}"
    )


def rebuild_views(database: DatabaseOption = DEFAULT_DATABASE_URL) -> None:
    """Replay the whole log into fresh views and swap them in."""

    async def work(engine: AsyncEngine) -> RebuildReport:
        await require_schema(engine)
        store = SQLEventStore(engine)
        head = await store.head()
        with progress("rebuilding the views", head.position) as advance:
            return await rebuild(store, progress=advance)

    report = with_engine(database, work)
    typer.echo(
        f"ok: rebuilt from {report.events} events in {report.seconds:.2f} s "
        f"({report.events_per_second:,.0f} events/s)"
    )


def cleanup(database: DatabaseOption = DEFAULT_DATABASE_URL) -> None:
    """Drop the tables left by a rebuild or verify that was killed (never a running one's)."""
    report = with_engine(database, drop_abandoned_replays)
    typer.echo(f"ok: {_leftovers(report)}")


def _leftovers(report: LeftoverReport) -> str:
    line = f"dropped {len(report.dropped)} tables left by replays that no longer run"
    if report.running:
        line += f"; kept those of {report.running} still running"
    return line
