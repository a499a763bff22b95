"""The ``evidence-ledger`` command."""

from __future__ import annotations

import asyncio
import getpass
import json
import logging
import os
import signal
import sys
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from importlib.metadata import version as package_version
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TimeElapsedColumn,
)
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from graph.settings import Limits, Settings
from ledger.audit.chain import verify_chain
from ledger.audit.export import ExportReport, export_ledger, verify_export
from ledger.domain.errors import LedgerError
from ledger.replay.rebuild import (
    LeftoverReport,
    ProjectionReport,
    RebuildReport,
    drop_abandoned_replays,
    rebuild,
    verify_projections,
)
from ledger.store.db import DEFAULT_DATABASE_URL, async_url, create_engine
from ledger.store.event_store import EventStore
from ledger.store.migrate import current_revision, head_revision, upgrade
from ledger.store.records import Actor, ChainReport
from ledger.use_cases.importing import import_articles, read_lines
from ledger.use_cases.sample import load_sample
from ledger.use_cases.service import EvidenceLedger
from ledger.use_cases.tokens import IssuedToken, TokenRecord, issue_token, list_tokens, revoke_token

if TYPE_CHECKING:
    import strawberry

app = typer.Typer(
    help="evidence-ledger: clinicians' ratings of research articles, on an append-only ledger.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
T = TypeVar("T")

DEFAULT_TOKEN_DAYS = 90
# Ten years is already long for a bearer token, and a bound keeps the date representable.
MAX_TOKEN_DAYS = 3650

DatabaseOption = Annotated[
    str,
    typer.Option(
        "--database",
        envvar="DATABASE_URL",
        help="sqlite:///path.db or postgresql://user@host/db",
        show_default=True,
    ),
]


def _show_version(asked: bool) -> None:
    if asked:
        typer.echo(f"evidence-ledger {package_version('evidence-ledger')}")
        raise typer.Exit


@app.callback()
def options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """evidence-ledger: clinicians' ratings of research articles, on an append-only ledger."""


class NotMigrated(Exception):
    pass


class NoDatabase(Exception):
    pass


def _with_engine(
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
    except (ValueError, LedgerError, SQLAlchemyError, OSError, NotMigrated, NoDatabase) as error:
        _fail(_describe(error))


def _say(line: str) -> None:
    """One line on standard error, as written (no markup, no wrapping)."""
    console.print(line, markup=False, highlight=False, soft_wrap=True)


def _fail(reason: str) -> NoReturn:
    console.print("[red]error:[/red] ", end="", highlight=False)
    _say(reason)
    raise typer.Exit(code=2)


def _describe(error: Exception) -> str:
    if isinstance(error, DBAPIError):
        return f"database error: {error.orig}".splitlines()[0]
    return str(error).splitlines()[0]


def _require_database_file(url: str) -> None:
    target = async_url(url)
    path = target.database
    if target.get_backend_name() != "sqlite" or not path or path == ":memory:":
        return
    if not Path(path).exists():
        raise NoDatabase(
            f"no database at {_where(target)}: create one with `evidence-ledger migrate` "
            "(or `evidence-ledger serve`, which migrates on start), or name an existing one "
            "with --database or DATABASE_URL"
        )


def _where(url: URL) -> str:
    """Where a database is, as its user would name it: a SQLite file's full path, or a
    PostgreSQL URL without its password."""
    if url.get_backend_name() == "sqlite":
        return str(Path(url.database or "").resolve())
    return url.set(drivername="postgresql").render_as_string(hide_password=True)


async def _require_schema(engine: AsyncEngine) -> None:
    revision = await current_revision(engine)
    if revision != head_revision():
        where = _where(engine.url)
        state = "has no ledger schema" if revision is None else f"is at revision {revision}"
        raise NotMigrated(
            f"the database at {where} {state}, not {head_revision()}: run `evidence-ledger migrate`"
        )


@contextmanager
def _progress(
    description: str, total: int | None, *, in_bytes: bool = False
) -> Iterator[Callable[[int], None]]:
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn() if in_bytes else MofNCompleteColumn(),
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

    revision = _with_engine(database, work, create=True)
    typer.echo(f"ok: schema at revision {revision}")


@app.command()
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


def _verify_file(file: Path) -> None:
    with file.open(encoding="utf-8") as lines, _progress("verifying the file", None) as advance:
        report = verify_export(lines, progress=advance)
    if not report.ok:
        typer.echo(f"broken: line {report.bad_line}: {report.reason}")
        raise typer.Exit(code=1)
    typer.echo(
        f"ok: {report.events} events, up to position {report.last_position}, "
        f"head hash {report.head_hash}"
    )


@app.command("export")
def export_events(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="The JSON Lines file to write.")],
    after: Annotated[int, typer.Option(help="Export only the events after this position.")] = 0,
    database: DatabaseOption = DEFAULT_DATABASE_URL,
) -> None:
    """Write the ledger with positions, hashes and canonical payloads, verifiable offline."""

    async def work(engine: AsyncEngine) -> ExportReport:
        await _require_schema(engine)
        store = EventStore(engine)
        head = await store.head()
        if not 0 <= after <= head.position:
            raise ValueError(f"--after must be from 0 to the head position {head.position}")
        # Written aside and moved into place only when complete: a failed export never
        # leaves a truncated file where a good one was.
        partial = file.with_name(file.name + ".partial")
        try:
            with (
                partial.open("w", encoding="utf-8") as out,
                _progress("exporting", head.position - after) as advance,
            ):
                report = await export_ledger(store, out, after=after, progress=advance)
            os.replace(partial, file)
        finally:
            partial.unlink(missing_ok=True)
        return report

    report = _with_engine(database, work)
    typer.echo(
        f"ok: {report.events} events written to {file}, up to position "
        f"{report.last_position}, head hash {report.head_hash}"
    )


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


@app.command()
def cleanup(database: DatabaseOption = DEFAULT_DATABASE_URL) -> None:
    """Drop the tables left by a rebuild or verify that was killed (never a running one's)."""
    report = _with_engine(database, drop_abandoned_replays)
    typer.echo(f"ok: {_leftovers(report)}")


def _leftovers(report: LeftoverReport) -> str:
    line = f"dropped {len(report.dropped)} tables left by replays that no longer run"
    if report.running:
        line += f"; kept those of {report.running} still running"
    return line


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
    file: Annotated[
        str,
        typer.Argument(metavar="FILE", help="A JSON Lines file, or - for standard input."),
    ],
    database: DatabaseOption = DEFAULT_DATABASE_URL,
) -> None:
    """Import articles from JSON Lines; refused lines are listed, the rest imported."""
    with _import_source(file) as (stream, size):

        async def work(engine: AsyncEngine) -> Counter[str]:
            await _require_schema(engine)
            ledger = EvidenceLedger(EventStore(engine))
            counts: Counter[str] = Counter()
            done = 0
            with _progress("importing", size, in_bytes=size is not None) as advance:
                async for line in import_articles(ledger, read_lines(stream), actor=_operator()):
                    counts[line.outcome] += 1
                    if line.outcome == "refused":
                        _say(f"line {line.number}: refused: {line.reason}")
                    now = _bytes_read(stream, counts.total())
                    advance(now - done)
                    done = now
            return counts

        counts = _with_engine(database, work)
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
        _fail(f"cannot read {file}: {error.strerror}")
    with stream:
        yield stream, os.fstat(stream.fileno()).st_size


def _bytes_read(stream: BinaryIO, lines: int) -> int:
    """How far the import got: bytes for a file, lines for a pipe (which has no position)."""
    return stream.tell() if stream.seekable() else lines


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _production_from_environment() -> bool:
    return os.environ.get("EVIDENCE_LEDGER_ENV", "").strip().lower() == "production"


def _cors_origins(urls: list[str] | None) -> list[str]:
    from graph.web.cors import parse_origin

    try:
        return [parse_origin(url) for url in urls or ()]
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


@app.command()
def serve(
    database: DatabaseOption = DEFAULT_DATABASE_URL,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    production: Annotated[
        bool,
        typer.Option(
            "--production",
            envvar="EVIDENCE_LEDGER_PRODUCTION",
            help="Hide GraphiQL and introspection (also EVIDENCE_LEDGER_ENV=production).",
        ),
    ] = False,
    mutations_per_minute: Annotated[
        int,
        typer.Option(
            envvar="EVIDENCE_LEDGER_MUTATIONS_PER_MINUTE",
            min=0,
            help="Mutations a bearer token may make per minute (0: no limit).",
        ),
    ] = Limits.mutations_per_minute_per_token,
    address_mutations_per_minute: Annotated[
        int,
        typer.Option(
            envvar="EVIDENCE_LEDGER_ADDRESS_MUTATIONS_PER_MINUTE",
            min=0,
            help="Mutations a client address may make per minute (0: no limit).",
        ),
    ] = Limits.mutations_per_minute_per_address,
    timeout_request_head: Annotated[
        float,
        typer.Option(
            min=0.1, help="Seconds a request's line and headers may take to arrive whole."
        ),
    ] = Limits.request_head_seconds,
    timeout_request_body: Annotated[
        float,
        typer.Option(min=0.1, help="Seconds a request body may take to arrive whole (408)."),
    ] = Limits.request_body_seconds,
    timeout_keep_alive: Annotated[
        int,
        typer.Option(min=1, help="Seconds an idle connection is kept open after a response."),
    ] = Limits.keep_alive_seconds,
    limit_concurrency: Annotated[
        int,
        typer.Option(min=1, help="Open connections past which a request is answered 503."),
    ] = Limits.max_concurrency,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option(
            callback=_cors_origins,
            help="An origin whose pages may call the API from a browser, e.g. "
            "https://reader.example.org (repeat for more; none by default).",
        ),
    ] = None,
) -> None:
    """Migrate, load the sample article into an empty ledger, and serve GraphQL at /graphql
    and the reader's page at /."""
    import uvicorn

    from graph.app import create_app
    from graph.http.server import with_head_deadline

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    limits = Limits(
        mutations_per_minute_per_token=mutations_per_minute,
        mutations_per_minute_per_address=address_mutations_per_minute,
        request_head_seconds=timeout_request_head,
        request_body_seconds=timeout_request_body,
        keep_alive_seconds=timeout_keep_alive,
        max_concurrency=limit_concurrency,
    )
    settings = Settings(
        database_url=database,
        production=production or _production_from_environment(),
        limits=limits,
        cors_origins=tuple(cors_origin or ()),
    )
    # Uvicorn shuts down gracefully on SIGTERM, then re-raises it; a clean stop exits 0.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="info",
        http=with_head_deadline(limits.request_head_seconds),
        timeout_keep_alive=limits.keep_alive_seconds,
        limit_concurrency=limits.max_concurrency,
    )


token_app = typer.Typer(help="Issue and revoke API bearer tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option(help="subscriber, rater, editor or auditor")],
    rater: Annotated[str | None, typer.Option(help="The rater id (rater tokens only).")] = None,
    name: Annotated[str | None, typer.Option(help="A display name (a new subscriber).")] = None,
    person: Annotated[
        str | None,
        typer.Option(
            help="Issue it for this subscriber, editor or auditor, who already has a token "
            "(see `token list`), instead of for a new person."
        ),
    ] = None,
    days: Annotated[
        int,
        typer.Option(min=0, max=MAX_TOKEN_DAYS, help="Expires after this many days (0: never)."),
    ] = DEFAULT_TOKEN_DAYS,
    database: DatabaseOption = DEFAULT_DATABASE_URL,
) -> None:
    """Print a new token once; only its hash is stored."""
    expires_at = datetime.now(UTC) + timedelta(days=days) if days else None

    async def work(engine: AsyncEngine) -> IssuedToken:
        await _require_schema(engine)
        return await issue_token(
            engine, role, rater_id=rater, name=name, expires_at=expires_at, person_id=person
        )

    issued = _with_engine(database, work)
    console.print(
        f"token {issued.principal.token_id} for {issued.principal.role} {issued.principal.id}"
        + (f", expires {issued.expires_at:%Y-%m-%d %H:%M} UTC" if issued.expires_at else "")
        + "; it is shown only this once:",
        highlight=False,
    )
    typer.echo(issued.token)


@token_app.command("list")
def token_list(database: DatabaseOption = DEFAULT_DATABASE_URL) -> None:
    """List every token issued (never the token itself): id, role, person, rater, name, times."""

    async def work(engine: AsyncEngine) -> list[TokenRecord]:
        await _require_schema(engine)
        return await list_tokens(engine)

    header = ("id", "role", "person", "rater", "name", "created", "expires", "revoked")
    rows = [header, *(_token_row(record) for record in _with_engine(database, work))]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    for row in rows:
        typer.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def _token_row(record: TokenRecord) -> tuple[str, ...]:
    def when(moment: datetime | None) -> str:
        return f"{moment:%Y-%m-%d %H:%M}" if moment is not None else "-"

    return (
        record.token_id,
        record.role,
        record.person_id,
        record.rater_id or "-",
        record.name or "-",
        when(record.created_at),
        when(record.expires_at),
        when(record.revoked_at),
    )


@token_app.command("revoke")
def token_revoke(
    token: Annotated[
        str, typer.Argument(metavar="TOKEN", help="The token id (see `token list`), or the token.")
    ],
    database: DatabaseOption = DEFAULT_DATABASE_URL,
) -> None:
    """Revoke a token at once."""

    async def work(engine: AsyncEngine) -> str:
        await _require_schema(engine)
        return await revoke_token(engine, token)

    token_id = _with_engine(database, work)
    typer.echo(f"ok: token {token_id} revoked")


@app.command("export-schema")
def export_schema(
    output: Annotated[
        str, typer.Argument(metavar="FILE", help="Where to write the SDL (- for standard output).")
    ] = "schema.graphql",
    possible_types: Annotated[
        bool,
        typer.Option(
            "--possible-types",
            help="Write Apollo Client's possibleTypes (each union and interface, with the types "
            "in it) as JSON instead of the SDL.",
        ),
    ] = False,
) -> None:
    """Write the GraphQL schema (SDL) to a file, or to standard output."""
    from graph.http.schema import build_schema

    schema = build_schema()
    text = _possible_types_json(schema) if possible_types else schema.as_str() + "\n"
    if output == "-":
        sys.stdout.write(text)
        return
    Path(output).write_text(text, encoding="utf-8")
    typer.echo(f"ok: {'possible types' if possible_types else 'schema'} written to {output}")


def _possible_types_json(schema: strawberry.Schema) -> str:
    """One line per union or interface, sorted, so that the README can show it as is."""
    from graphql import GraphQLInterfaceType, GraphQLUnionType

    graphql_schema = schema._schema
    abstract = [
        kind
        for name, kind in sorted(graphql_schema.type_map.items())
        if isinstance(kind, GraphQLUnionType | GraphQLInterfaceType) and not name.startswith("__")
    ]
    lines = [
        f"  {json.dumps(kind.name)}: "
        + json.dumps(sorted(member.name for member in graphql_schema.get_possible_types(kind)))
        for kind in abstract
    ]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main() -> None:
    app()


if __name__ == "__main__":
    main()
