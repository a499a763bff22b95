"""What goes into and out of the ledger: ``import``, ``export`` and ``load-sample``."""

from __future__ import annotations

import getpass
import os
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, BinaryIO

import typer

from graph.cli.database_access import (
    DEFAULT_DATABASE_URL,
    AsyncEngine,
    DatabaseOption,
    require_schema,
    with_engine,
)
from graph.cli.output import fail, progress, say
from ledger.audit.export import ExportReport, export_ledger
from ledger.store.records import Actor
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases.importing import import_articles, read_lines
from ledger.use_cases.sample import load_sample
from ledger.use_cases.sql_views import sql_ledger

__all__ = ["export_events", "import_file", "load_sample_article", "operator"]


def operator() -> Actor:
    """Whoever runs the command acts as an editor, named after their login."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return Actor(f"cli:{name}", "editor")


def export_events(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="The JSON Lines file to write.")],
    after: Annotated[int, typer.Option(help="Export only the events after this position.")] = 0,
    database: DatabaseOption = DEFAULT_DATABASE_URL,
) -> None:
    """Write the ledger with positions, hashes and canonical payloads, verifiable offline."""

    async def work(engine: AsyncEngine) -> ExportReport:
        await require_schema(engine)
        store = SQLEventStore(engine)
        head = await store.head()
        if not 0 <= after <= head.position:
            raise ValueError(f"--after must be from 0 to the head position {head.position}")
        # Written aside and moved into place only when complete: a failed export never
        # leaves a truncated file where a good one was.
        partial = file.with_name(file.name + ".partial")
        try:
            with (
                partial.open("w", encoding="utf-8") as out,
                progress("exporting", head.position - after) as advance,
            ):
                report = await export_ledger(store, out, after=after, progress=advance)
            os.replace(partial, file)
        finally:
            partial.unlink(missing_ok=True)
        return report

    report = with_engine(database, work)
    typer.echo(
        f"ok: {report.events} events written to {file}, up to position "
        f"{report.last_position}, head hash {report.head_hash}"
    )


def load_sample_article(database: DatabaseOption = DEFAULT_DATABASE_URL) -> None:
    """Load the sample article, its disciplines, raters and ratings (idempotent)."""

    async def work(engine: AsyncEngine) -> int:
        await require_schema(engine)
        store = SQLEventStore(engine)
        await load_sample(sql_ledger(store))
        return (await store.head()).position

    position = with_engine(database, work)
    typer.echo(f"ok: sample loaded; the ledger is at position {position}")


def import_file(
    file: Annotated[
        str,
        typer.Argument(metavar="FILE", help="A JSON Lines file, or - for standard input."),
    ],
    database: DatabaseOption = DEFAULT_DATABASE_URL,
) -> None:
    """Import articles from JSON Lines; refused lines are listed, the rest imported."""
    with _import_source(file) as (stream, size):

        async def work(engine: AsyncEngine) -> Counter[str]:
            await require_schema(engine)
            ledger = sql_ledger(SQLEventStore(engine))
            counts: Counter[str] = Counter()
            done = 0
            with progress("importing", size, in_bytes=size is not None) as advance:
                async for line in import_articles(ledger, read_lines(stream), actor=operator()):
                    counts[line.outcome] += 1
                    if line.outcome == "refused":
                        say(f"line {line.number}: refused: {line.reason}")
                    now = _bytes_read(stream, counts.total())
                    advance(now - done)
                    done = now
            return counts

        counts = with_engine(database, work)
    typer.echo(
        f"{counts['imported']} imported, {counts['unchanged']} already there, "
        f"{counts['refused']} refused"
    )
    if counts["refused"]:
        raise typer.Exit(code=1)


@contextmanager
def _import_source(file: str) -> Iterator[tuple[BinaryIO, int | None]]:
    """The bytes to import and their size when known; standard input for ``-``."""
    if file == "-":
        yield sys.stdin.buffer, None
        return
    try:
        stream = Path(file).open("rb")  # noqa: SIM115 (closed below, after the import)
    except OSError as error:
        fail(f"cannot read {file}: {error.strerror}")
    with stream:
        yield stream, os.fstat(stream.fileno()).st_size


def _bytes_read(stream: BinaryIO, lines: int) -> int:
    """How far the import got: bytes for a file, lines for a pipe (which has no position)."""
    return stream.tell() if stream.seekable() else lines
