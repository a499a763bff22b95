"""The composition root: ``create_app(settings)`` builds the whole service."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from graph.http.auth import TokenAuthentication, refuse_credentials
from graph.http.body_limit import BodyLimit
from graph.http.logging import RequestLogging
from graph.http.read_your_writes import ReadYourWrites
from graph.http.schema import build_schema
from graph.schema.context import Services
from graph.schema.rate_limit import MutationRates
from graph.schema.single_flight import SingleFlight
from graph.settings import Settings
from graph.web import GraphQLWithGraphiQL, cors_middleware, web_routes
from ledger.audit.chain import verify_chain
from ledger.projections.projector import catch_up
from ledger.read.changes import LearningChanges
from ledger.read.health import database_health
from ledger.read.learn import start_learning
from ledger.read.reader import Database
from ledger.read.replica import Replica
from ledger.replay.rebuild import ProjectionReport, drop_abandoned_replays, verify_projections
from ledger.store.db import create_engine
from ledger.store.migrate import upgrade
from ledger.store.records import ChainReport
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases.sample import load_sample
from ledger.use_cases.service import EvidenceLedger

__all__ = ["create_app", "prepare_database"]

log = logging.getLogger("evidence_ledger")


async def healthz(request: Request) -> Response:
    """200 when the database answers and its schema is at the newest migration."""
    services: Services = request.app.state.services
    health = await database_health(services.engine)
    if not health.reachable:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
    head = await services.store.head()
    if not health.up_to_date:
        return JSONResponse({"status": "unavailable", "migrations": "behind"}, 503)
    answer: dict[str, object] = {
        "status": "ok",
        "revision": health.revision,
        "position": head.position,
    }
    cache = getattr(request.app.state, "response_cache", None)
    if cache is not None:
        answer["responseCache"] = cache.as_json()
    return JSONResponse(answer)


async def _prepared(settings: Settings, engine: Database, store: SQLEventStore) -> EvidenceLedger:
    """After the migrations: the views caught up, the sample article loaded into an empty
    ledger."""
    leftovers = await drop_abandoned_replays(engine)
    if leftovers.dropped:
        log.info(
            "dropped %d tables left by replays that no longer run: %s",
            len(leftovers.dropped),
            ", ".join(leftovers.dropped),
        )
    ledger = EvidenceLedger(store, policy=settings.score_policy)
    await catch_up(store, ledger.projector)
    if settings.load_sample_when_empty and (await store.head()).position == 0:
        await load_sample(ledger)
    return ledger


async def prepare_database(settings: Settings) -> None:
    """What a starting app does to its database, done once before several worker processes
    start (each of them then skips it: they would otherwise race to load the sample)."""
    engine = create_engine(settings.database_url)
    try:
        if settings.migrate_on_start:
            await upgrade(engine)
        await _prepared(settings, engine, SQLEventStore(engine))
    finally:
        await engine.dispose()


async def _started(settings: Settings, engine: Database) -> Services:
    """The services of a starting app: the database brought up to date and caught up."""
    if settings.migrate_on_start:
        await upgrade(engine)
    store = SQLEventStore(engine)
    # Learning before the first write of this process, so every one of them is learnt as
    # it commits.
    changes = await start_learning(engine)
    store.on_commit(changes.committed)
    ledger = await _prepared(settings, engine, store)
    limits = settings.limits
    rates = MutationRates.per_minute(
        limits.mutations_per_minute_per_token, limits.mutations_per_minute_per_address
    )

    async def verification() -> tuple[ChainReport, ProjectionReport]:
        policy = settings.score_policy
        return await verify_chain(engine), await verify_projections(store, policy=policy)

    replica = Replica(create_engine(settings.replica_url)) if settings.replica_url else None
    return Services(
        settings, engine, store, ledger, rates, SingleFlight(verification), changes, replica
    )


async def _stopped(services: Services) -> None:
    if isinstance(services.changes, LearningChanges):  # its connection, on PostgreSQL
        await services.changes.close()
    if services.replica is not None:
        await services.replica.close()


def create_app(settings: Settings) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        try:
            app.state.services = services = await _started(settings, engine)
            # The schema, SQLAlchemy and Strawberry are long-lived: keep them out of every
            # later full collection, whose pauses otherwise make the latency tail.
            gc.collect()
            gc.freeze()
            try:
                yield
            finally:
                await _stopped(services)
        finally:
            await engine.dispose()

    # Built first: it refuses a malformed origin in its own words, before Strawberry's check
    # of the WebSocket origins below sees the same list.
    cors = cors_middleware(settings)
    graphql = GraphQLWithGraphiQL(
        settings,
        schema=build_schema(production=settings.production, limits=settings.limits),
        graphql_ide=None if settings.production else "graphiql",
        allow_queries_via_get=True,
        # No subscriptions yet: /graphql is an HTTP route only, so every WebSocket handshake
        # is refused. When they come, only these foreign origins may connect.
        subscription_protocols=(),
        # The origins allowed to call the API from a browser may open a WebSocket too.
        allowed_origins=(*settings.allowed_origins, *settings.cors_origins),
    )
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/graphql", ReadYourWrites(graphql)),
            *web_routes(settings),
        ],
        middleware=[
            Middleware(RequestLogging),
            # Inside the logging (preflights are logged, answers carry X-Request-ID) and
            # outside every refusal (413, 401), so a page that is allowed can read them.
            *cors,
            Middleware(
                BodyLimit,
                max_bytes=settings.limits.max_body_bytes,
                read_seconds=settings.limits.request_body_seconds,
            ),
            Middleware(
                AuthenticationMiddleware, backend=TokenAuthentication(), on_error=refuse_credentials
            ),
        ],
        lifespan=lifespan,
    )
    app.state.response_cache = graphql.response_cache  # its counters, shown by /healthz
    return app
