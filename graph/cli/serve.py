"""``serve``: migrate, load the sample article into an empty ledger, and serve the API."""

from __future__ import annotations

import logging
import os
import signal
import sys
from dataclasses import replace
from typing import Annotated, Any

import typer

from graph.cli.database_access import (
    DEFAULT_DATABASE_URL,
    DatabaseOption,
    started,
    wait_for_database,
)
from graph.cli.deliver import PublicUrl, delivery_settings
from graph.cli.requests import RequestDays, RequestsPerDiscipline
from graph.settings import Limits, Settings
from ledger.delivery.settings import DeliverySettings

__all__ = ["serve"]

WORKER_PING_SECONDS = 30

# The options, named here so that the command's signature reads as a list of them.
Host = Annotated[str, typer.Option(help="Address to listen on.")]
Port = Annotated[int, typer.Option(help="Port to listen on.")]
Production = Annotated[
    bool,
    typer.Option(
        "--production",
        envvar="EVIDENCE_LEDGER_PRODUCTION",
        help="Hide GraphiQL and introspection (also EVIDENCE_LEDGER_ENV=production).",
    ),
]
TokenMutations = Annotated[
    int,
    typer.Option(
        "--mutations-per-minute",
        envvar="EVIDENCE_LEDGER_MUTATIONS_PER_MINUTE",
        min=0,
        help="Mutations a bearer token may make per minute (0: no limit).",
    ),
]
AddressMutations = Annotated[
    int,
    typer.Option(
        "--address-mutations-per-minute",
        envvar="EVIDENCE_LEDGER_ADDRESS_MUTATIONS_PER_MINUTE",
        min=0,
        help="Mutations a client address may make per minute (0: no limit).",
    ),
]
HeadSeconds = Annotated[
    float,
    typer.Option(
        "--timeout-request-head",
        min=0.1,
        help="Seconds a request's line and headers may take to arrive whole.",
    ),
]
BodySeconds = Annotated[
    float,
    typer.Option(
        "--timeout-request-body",
        min=0.1,
        help="Seconds a request body may take to arrive whole (408).",
    ),
]
KeepAliveSeconds = Annotated[
    int,
    typer.Option(
        "--timeout-keep-alive",
        min=1,
        help="Seconds an idle connection is kept open after a response.",
    ),
]
Concurrency = Annotated[
    int,
    typer.Option(
        "--limit-concurrency",
        min=1,
        help="Open connections past which a request is answered 503.",
    ),
]


def _cors_origins(urls: list[str] | None) -> list[str]:
    from graph.web.cors import parse_origin

    try:
        return [parse_origin(url) for url in urls or ()]
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


CorsOrigins = Annotated[
    list[str] | None,
    typer.Option(
        "--cors-origin",
        callback=_cors_origins,
        help="An origin whose pages may call the API from a browser, e.g. "
        "https://reader.example.org (repeat for more; none by default).",
    ),
]


ResponseCacheBytes = Annotated[
    int,
    typer.Option(
        "--response-cache-bytes",
        envvar="EVIDENCE_LEDGER_RESPONSE_CACHE_BYTES",
        min=0,
        help="Memory each process's response cache may hold, in bytes, least recently used "
        "answers out (0: no answer is kept; every request is executed).",
    ),
]


Workers = Annotated[
    int,
    typer.Option(
        "--workers",
        min=1,
        help="Processes serving the API on one port (any number on PostgreSQL; on SQLite "
        "they share one writer, which several processes wait for in turn).",
    ),
]
ReplicaUrl = Annotated[
    str | None,
    typer.Option(
        "--replica-url",
        help="A PostgreSQL streaming replica of --database to read queries from once it has "
        "replayed the client's Ledger-Position (mutations stay on the primary).",
    ),
]


Deliver = Annotated[
    bool,
    typer.Option(
        "--deliver/--no-deliver",
        envvar="EVIDENCE_LEDGER_DELIVER",
        help="Deliver the alerts due in the background (webhooks; email when SMTP is set).",
    ),
]


RatingWithoutRequest = Annotated[
    bool,
    typer.Option(
        "--rating-without-request/--no-rating-without-request",
        help="Let raters of an article's assigned disciplines rate it without a request "
        "(off: only the raters asked may).",
    ),
]


WaitForDatabase = Annotated[
    float,
    typer.Option(
        "--wait-for-database",
        envvar="EVIDENCE_LEDGER_WAIT_FOR_DATABASE",
        min=0,
        help="Seconds to wait for a PostgreSQL database that cannot be reached yet, as when "
        "it starts beside the service (0: fail at once).",
    ),
]
WAIT_FOR_DATABASE_SECONDS = 30.0


def serve(
    database: DatabaseOption = DEFAULT_DATABASE_URL,
    host: Host = "127.0.0.1",
    port: Port = 8000,
    production: Production = False,
    mutations_per_minute: TokenMutations = Limits.mutations_per_minute_per_token,
    address_mutations_per_minute: AddressMutations = Limits.mutations_per_minute_per_address,
    timeout_request_head: HeadSeconds = Limits.request_head_seconds,
    timeout_request_body: BodySeconds = Limits.request_body_seconds,
    timeout_keep_alive: KeepAliveSeconds = Limits.keep_alive_seconds,
    limit_concurrency: Concurrency = Limits.max_concurrency,
    cors_origin: CorsOrigins = None,
    response_cache_bytes: ResponseCacheBytes = Settings.response_cache_bytes,
    workers: Workers = 1,
    replica_url: ReplicaUrl = None,
    deliver: Deliver = True,
    public_url: PublicUrl = DeliverySettings.public_url,
    rating_without_request: RatingWithoutRequest = False,
    requests_per_discipline: RequestsPerDiscipline = Settings.requests_per_discipline,
    request_days: RequestDays = Settings.request_days,
    database_wait: WaitForDatabase = WAIT_FOR_DATABASE_SECONDS,
) -> None:
    """Migrate, load the sample article into an empty ledger, and serve GraphQL at /graphql
    and the reader's page at /."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    limits = Limits(
        mutations_per_minute_per_token=mutations_per_minute,
        mutations_per_minute_per_address=address_mutations_per_minute,
        request_head_seconds=timeout_request_head,
        request_body_seconds=timeout_request_body,
        keep_alive_seconds=timeout_keep_alive,
        max_concurrency=limit_concurrency,
    )
    production = production or _production_from_environment()
    settings = Settings(
        database_url=database,
        production=production,
        limits=limits,
        cors_origins=tuple(cors_origin or ()),
        response_cache_bytes=response_cache_bytes,
        replica_url=_replica(replica_url, database),
        delivery=delivery_settings(public_url, environment=os.environ),
        deliver_in_background=deliver,
        rating_without_request=rating_without_request,
        requests_per_discipline=requests_per_discipline,
        request_days=request_days,
    )
    if database.lower().startswith("postgres"):
        # Before uvicorn: a database away is waited for, or said in one line, not a trace.
        wait_for_database(database, database_wait)
    _run(settings, host, port, workers)


def _run(settings: Settings, host: str, port: int, workers: int) -> None:
    """Uvicorn serving the app: in this process, or in ``workers`` processes of its own."""
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors.multiprocess import Multiprocess

    from graph.app import create_app, prepare_database
    from graph.cli.workers import APP_FACTORY, PROTOCOL, SETTINGS_VARIABLE, settings_to_json
    from graph.http.server import with_head_deadline

    limits = settings.limits
    # Uvicorn shuts down gracefully on SIGTERM, then re-raises it; a clean stop exits 0.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    serving: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "info",
        # One line per request is written by the app (graph.http.logging), not two.
        "access_log": False,
        "timeout_keep_alive": limits.keep_alive_seconds,
        "limit_concurrency": limits.max_concurrency,
    }
    if workers == 1:
        uvicorn.run(
            create_app(settings), http=with_head_deadline(limits.request_head_seconds), **serving
        )
        return
    # The database made ready once, here; the workers (spawned afresh) build their apps from
    # the settings in their environment and skip it.
    started(settings.database_url, lambda: prepare_database(settings))
    ready = replace(settings, migrate_on_start=False, load_sample_when_empty=False)
    os.environ[SETTINGS_VARIABLE] = settings_to_json(ready)
    config = uvicorn.Config(
        APP_FACTORY,
        factory=True,
        workers=workers,
        http=PROTOCOL,
        # A worker that does not answer the supervisor's ping in time is killed and replaced;
        # a fresh one imports the whole app first, which takes more than uvicorn's 5 s on a
        # busy machine.
        timeout_worker_healthcheck=WORKER_PING_SECONDS,
        **serving,
    )
    # What ``uvicorn.run`` does for workers, with its supervisor kept: a worker that fails to
    # start stops the others, and ``uvicorn.run`` then returns as from a clean stop (it exits
    # with uvicorn's start-up failure only for a single process). A supervisor restarting the
    # service must see the failure.
    supervisor = Multiprocess(config, sockets=[config.bind_socket()])
    supervisor.run()
    if any(worker.exitcode == STARTUP_FAILURE for worker in supervisor.processes):
        sys.exit(STARTUP_FAILURE)


def _replica(url: str | None, database: str) -> str | None:
    if url is None:
        return None
    if not (url.startswith("postgres") and database.startswith("postgres")):
        raise typer.BadParameter(
            "a replica is a PostgreSQL streaming replica of a PostgreSQL --database",
            param_hint="--replica-url",
        )
    return url


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _production_from_environment() -> bool:
    return os.environ.get("EVIDENCE_LEDGER_ENV", "").strip().lower() == "production"
