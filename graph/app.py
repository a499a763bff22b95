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
from graph.http.schema import build_schema
from graph.schema.context import Services
from graph.schema.rate_limit import MutationRates
from graph.schema.single_flight import SingleFlight
from graph.settings import Settings
from graph.web import GraphQLWithGraphiQL, cors_middleware, web_routes
from ledger.audit.chain import verify_chain
from ledger.projections.projector import catch_up
from ledger.read.changes import PolledChanges
from ledger.read.health import database_health
from ledger.read.reader import Database
from ledger.replay.rebuild import ProjectionReport, drop_abandoned_replays, verify_projections
from ledger.store.db import create_engine
from ledger.store.migrate import upgrade
from ledger.store.records import ChainReport
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases.sample import load_sample
from ledger.use_cases.service import EvidenceLedger

__all__ = ["create_app"]

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


async def _started(settings: Settings, engine: Database) -> Services:
    """The services of a starting app: the database brought up to date and caught up."""
    if settings.migrate_on_start:
        await upgrade(engine)
    leftovers = await drop_abandoned_replays(engine)
    if leftovers.dropped:
        log.info(
            "dropped %d tables left by replays that no longer run: %s",
            len(leftovers.dropped),
            ", ".join(leftovers.dropped),
        )
    store = SQLEventStore(engine)
    ledger = EvidenceLedger(store)
    await catch_up(store, ledger.projector)
    if settings.load_sample_when_empty and (await store.head()).position == 0:
        await load_sample(ledger)
    limits = settings.limits
    rates = MutationRates.per_minute(
        limits.mutations_per_minute_per_token, limits.mutations_per_minute_per_address
    )

    async def verification() -> tuple[ChainReport, ProjectionReport]:
        return await verify_chain(engine), await verify_projections(store)

    changes = PolledChanges(engine)
    await changes.current()  # from here on, every later event is learnt
    return Services(settings, engine, store, ledger, rates, SingleFlight(verification), changes)


def create_app(settings: Settings) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        try:
            app.state.services = await _started(settings, engine)
            # The schema, SQLAlchemy and Strawberry are long-lived: keep them out of every
            # later full collection, whose pauses otherwise make the latency tail.
            gc.collect()
            gc.freeze()
            yield
        finally:
            await engine.dispose()

    graphql = GraphQLWithGraphiQL(
        settings,
        schema=build_schema(production=settings.production, limits=settings.limits),
        graphql_ide=None if settings.production else "graphiql",
        allow_queries_via_get=True,
        # No subscriptions yet: /graphql is an HTTP route only, so every WebSocket handshake
        # is refused. When they come, only these foreign origins may connect.
        subscription_protocols=(),
        allowed_origins=settings.allowed_origins,
    )
    app = Starlette(
        routes=[Route("/healthz", healthz), Route("/graphql", graphql), *web_routes(settings)],
        middleware=[
            Middleware(RequestLogging),
            # Inside the logging (preflights are logged, answers carry X-Request-ID) and
            # outside every refusal (413, 401), so a page that is allowed can read them.
            *cors_middleware(settings),
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
