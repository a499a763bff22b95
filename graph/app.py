"""The composition root: ``create_app(settings)`` builds the whole service."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from graph.http.auth import TokenAuthentication, refuse_credentials
from graph.http.body_limit import BodyLimit
from graph.http.logging import RequestLogging
from graph.http.read_your_writes import ReadYourWrites
from graph.http.repeats import AnswerRepeats
from graph.http.schema import build_schema
from graph.http.unavailable import DatabaseUnavailable, StartWithoutDatabase
from graph.http.unsubscribe import unsubscribe_routes
from graph.http.websocket import SUBSCRIPTION_PROTOCOLS, LiveGraphQL
from graph.schema.context import Services
from graph.schema.rate_limit import MutationRates
from graph.schema.single_flight import SingleFlight
from graph.settings import Settings
from graph.web import GraphQLWithGraphiQL, cors_middleware, web_routes
from graph.web.feeds import feed_routes
from ledger.audit.chain import verify_chain
from ledger.delivery.running import delivering_in_background
from ledger.read.health import database_health
from ledger.read.learn import start_learning
from ledger.read.live import LiveLedger
from ledger.read.pages import DriverReads
from ledger.read.reader import Database
from ledger.read.replica import Replica
from ledger.replay.rebuild import ProjectionReport, drop_abandoned_replays, verify_projections
from ledger.store.db import create_engine
from ledger.store.records import ChainReport
from ledger.store.revision import HEAD_REVISION, upgrade_to_head
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases.sample import load_sample
from ledger.use_cases.service import EvidenceLedger
from ledger.use_cases.sql_views import sql_ledger

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
        # Which revision it found (several, after a branch) and which it needs: older or
        # newer than this code, the schema is not the one it was written for.
        return JSONResponse(
            {"status": "unavailable", "revision": health.revision, "wanted": HEAD_REVISION}, 503
        )
    answer: dict[str, object] = {
        "status": "ok",
        "revision": health.revision,
        "position": head.position,
    }
    if services.live is not None:
        stats = services.live.stats
        answer["live"] = {
            "subscriptions": stats.subscriptions,
            "closedBehind": stats.closed_behind,
        }
    cache = getattr(request.app.state, "response_cache", None)
    if cache is not None:
        # With the requests known to repeat (graph.http.repeats), bounded like the cache.
        answer["responseCache"] = {**cache.as_json(), "remembered": len(request.app.state.repeats)}
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
    ledger = sql_ledger(store, policy=settings.score_policy, requests=settings.request_policy())
    await ledger.catch_up()
    if settings.load_sample_when_empty and (await store.head()).position == 0:
        await load_sample(ledger)
    return ledger


async def prepare_database(settings: Settings) -> None:
    """What a starting app does to its database, done once before several worker processes
    start (each of them then skips it: they would otherwise race to load the sample)."""
    engine = create_engine(settings.database_url)
    try:
        if settings.migrate_on_start:
            await upgrade_to_head(engine)
        await _prepared(settings, engine, SQLEventStore(engine))
    finally:
        await engine.dispose()


async def _started(settings: Settings, engine: Database, held: AsyncExitStack) -> Services:
    """The services of a starting app: the database brought up to date and caught up. What
    they hold open (connections, tasks) is closed by ``held``, last opened first, also when
    the start fails halfway."""
    if settings.migrate_on_start:
        await upgrade_to_head(engine)
    store = SQLEventStore(engine)
    # Learning before the first write of this process, so every one of them is learnt as
    # it commits.
    changes = await start_learning(engine)
    held.push_async_callback(changes.close)  # its connection, on PostgreSQL
    store.on_commit(changes.committed)
    # One task of the process follows the ledger for every live subscription.
    live = LiveLedger(changes, patience=settings.live_send_patience)
    store.on_commit(live.committed)
    ledger = await _prepared(settings, engine, store)
    await live.start()
    held.push_async_callback(live.close)
    page_reads = await DriverReads.open(engine)
    held.push_async_callback(page_reads.close)
    limits = settings.limits
    rates = MutationRates.per_minute(
        limits.mutations_per_minute_per_token, limits.mutations_per_minute_per_address
    )

    async def verification() -> tuple[ChainReport, ProjectionReport]:
        policy = settings.score_policy
        return await verify_chain(engine), await verify_projections(store, policy=policy)

    replica = None
    if settings.replica_url:
        replica_engine = create_engine(settings.replica_url)
        replica = Replica(replica_engine, retry_seconds=settings.replica_retry_seconds)
        held.push_async_callback(replica.close)
    return Services(
        settings,
        engine,
        store,
        ledger,
        rates,
        SingleFlight(verification),
        changes,
        page_reads,
        replica,
        live,
    )


@asynccontextmanager
async def _delivering(settings: Settings, services: Services) -> AsyncIterator[None]:
    """The alerts delivered in the background while the app runs, when the settings say so."""
    if not settings.deliver_in_background:
        yield
        return
    # Woken by every append this process learns of, so an alert goes out as it falls due.
    moved = services.live.on_move() if services.live is not None else None
    async with delivering_in_background(
        services.engine, settings.delivery, settings.score_policy, moved
    ):
        yield


class _GraphQL(LiveGraphQL, GraphQLWithGraphiQL):
    """The view served: GraphQL over HTTP and WebSocket, GraphiQL for a browser's visit."""


def create_app(settings: Settings) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        async with AsyncExitStack() as held:
            held.push_async_callback(engine.dispose)
            app.state.services = services = await _started(settings, engine, held)
            # The schema, SQLAlchemy and Strawberry are long-lived: keep them out of every
            # later full collection, whose pauses otherwise make the latency tail.
            gc.collect()
            gc.freeze()
            async with _delivering(settings, services):
                yield

    # Built first: it refuses a malformed origin in its own words, before Strawberry's check
    # of the WebSocket origins below sees the same list.
    cors = cors_middleware(settings)
    graphql = _GraphQL(
        settings,
        schema=build_schema(production=settings.production, limits=settings.limits),
        graphql_ide=None if settings.production else "graphiql",
        allow_queries_via_get=True,
        # graphql-transport-ws only (graph.http.websocket); of foreign origins, only these
        # may connect.
        subscription_protocols=SUBSCRIPTION_PROTOCOLS,
        # The origins allowed to call the API from a browser may open a WebSocket too.
        allowed_origins=(*settings.allowed_origins, *settings.cors_origins),
    )
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/graphql", ReadYourWrites(graphql)),
            WebSocketRoute("/graphql", graphql),
            *web_routes(settings),
            *feed_routes(),
            *unsubscribe_routes(),
        ],
        middleware=[
            # Of the lifespan only (any place in the list would do: every other middleware
            # passes the lifespan through): a start without the database is said in one line.
            Middleware(StartWithoutDatabase, database=settings.database_url),
            Middleware(RequestLogging),
            # Inside the logging (preflights are logged, answers carry X-Request-ID) and
            # outside every refusal (413, 401), so a page that is allowed can read them.
            *cors,
            # Inside the logging and CORS (its 503 is logged with the request's id, and a
            # page that is allowed can read it), outside all that may reach the database.
            Middleware(DatabaseUnavailable),
            Middleware(
                BodyLimit,
                max_bytes=settings.limits.max_body_bytes,
                read_seconds=settings.limits.request_body_seconds,
            ),
            # Inside the log, CORS and the body limit, which hold for its answers too; before
            # authentication, which it leaves to the long way (credentials never come here).
            Middleware(
                AnswerRepeats,
                cache=graphql.response_cache,
                repeats=graphql.repeats,
                persisted_queries=graphql.persisted_queries,
            ),
            Middleware(
                AuthenticationMiddleware, backend=TokenAuthentication(), on_error=refuse_credentials
            ),
        ],
        lifespan=lifespan,
    )
    app.state.response_cache = graphql.response_cache  # its counters, shown by /healthz
    app.state.repeats = graphql.repeats
    return app
