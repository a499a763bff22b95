"""The per-request context: who is calling, the use cases, and the request's loaders."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.requests import Request
from starlette.responses import Response
from strawberry.dataloader import DataLoader

from graph.schema.rate_limit import MutationRates
from graph.schema.single_flight import SingleFlight
from graph.settings import Settings
from ledger.domain.scores import DisciplineScore
from ledger.read import moderation, queries, vocabulary
from ledger.replay.rebuild import ProjectionReport
from ledger.store.db import snapshot
from ledger.store.event_store import EventStore
from ledger.store.records import ChainReport
from ledger.store.tables import people
from ledger.use_cases.service import EvidenceLedger
from ledger.use_cases.tokens import Principal

__all__ = ["Context", "Loaders", "Reader", "Services"]

T = TypeVar("T")

log = logging.getLogger("evidence_ledger.errors")


@dataclass(frozen=True)
class Services:
    """What lives as long as the app: built once in the lifespan."""

    settings: Settings
    engine: AsyncEngine
    store: EventStore
    ledger: EvidenceLedger
    mutation_rates: MutationRates
    # The chain and the views checked; concurrent callers share one run (a full replay).
    verification: SingleFlight[tuple[ChainReport, ProjectionReport]]


class Reader:
    """One connection per request, opened on first use, reading one snapshot of the views.

    Loaders run concurrently but share it one statement at a time. After a mutation commits
    the reader is closed, so what the request reads next includes the mutation. A resolver
    cancelled or refused never cuts a read short: the others keep the snapshot, and closing
    always ends it cleanly. Once the request is over (``finish``), a read still asked for
    gets a snapshot of its own that ends with it: nothing is left open after the request.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._lock = asyncio.Lock()
        self._stack: AsyncExitStack | None = None
        self._connection: AsyncConnection | None = None
        self._reads: set[asyncio.Future[Any]] = set()
        self._finished = False
        self._operations = 0

    @asynccontextmanager
    async def operation(self) -> AsyncIterator[None]:
        """One operation of the request. A batch runs several at once on the one reader: the
        last of them to end finishes the reading, and one begun after that reads anew."""
        self._operations += 1
        self._finished = False
        try:
            yield
        finally:
            self._operations -= 1
            if self._operations == 0:
                await self.finish()

    async def run(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        # When a refused field nulls a whole answer, the executor cancels the fields still
        # running. A statement cut off in the middle leaves the connection invalid and its
        # transaction unable to end, so the read runs to its end in a task of its own; only the
        # resolver stops waiting for it (``close`` waits for it before closing).
        read = asyncio.ensure_future(self._read(work))
        self._reads.add(read)
        read.add_done_callback(self._reads.discard)
        try:
            return await asyncio.shield(read)
        except asyncio.CancelledError:
            # Nobody awaits the read any more: if it fails, only the log can tell.
            read.add_done_callback(_log_failure_of_unawaited_read)
            raise

    async def _read(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        async with self._lock:
            if self._finished:
                # A loader's batch outlives its cancelled callers and may go on to its next
                # statement after the request ended: nobody would close a snapshot opened now.
                async with snapshot(self._engine) as connection:
                    return await work(connection)
            if self._connection is None:
                self._stack = AsyncExitStack()
                self._connection = await self._stack.enter_async_context(snapshot(self._engine))
            return await work(self._connection)

    async def finish(self) -> None:
        """End the request's reading for good: close, and open nothing that outlives it."""
        self._finished = True
        await self.close()

    async def close(self) -> None:
        # Reads whose resolvers were cancelled end first; nobody waits for their answers.
        await asyncio.gather(*self._reads, return_exceptions=True)
        async with self._lock:
            stack, connection = self._stack, self._connection
            self._stack, self._connection = None, None
            try:
                if connection is not None:
                    # A snapshot only read: rolling back ends it whatever a failed read left
                    # (a commit would fail on an aborted or invalidated transaction).
                    await connection.rollback()
            finally:
                if stack is not None:
                    await stack.aclose()


def _log_failure_of_unawaited_read(read: asyncio.Future[Any]) -> None:
    if not read.cancelled() and (error := read.exception()) is not None:
        log.error("A read whose resolver was cancelled failed", exc_info=error)


@dataclass
class Loaders:
    """DataLoaders of one request: one statement per kind of thing, whatever the page size."""

    articles: DataLoader[str, queries.ArticleSummary | None]
    topics: DataLoader[str, tuple[str, ...]]
    scores: DataLoader[str, tuple[DisciplineScore, ...]]
    rater_comments: DataLoader[str, tuple[queries.RaterComment, ...]]
    subscriber_comments: DataLoader[str, tuple[queries.SubscriberComment, ...]]
    related: DataLoader[tuple[str, int], list[str]]
    display_names: DataLoader[str, str | None]
    topic_counts: DataLoader[str, int]
    retractions: DataLoader[str, moderation.Retraction | None]
    hidden_comments: DataLoader[str, tuple[moderation.HiddenComment, ...]]


def _loaders(reader: Reader, services: Services) -> Loaders:
    policy, store = services.settings.score_policy, services.store

    def by_id(
        load: Callable[[AsyncConnection, Sequence[str]], Awaitable[Mapping[str, T]]], default: T
    ) -> DataLoader[str, T]:
        async def batch(ids: list[str]) -> list[T]:
            found = await reader.run(lambda conn: load(conn, ids))
            return [found.get(i, default) for i in ids]

        return DataLoader(load_fn=batch)

    async def related(keys: list[tuple[str, int]]) -> list[list[str]]:
        found: dict[tuple[str, int], list[str]] = {}
        for first in sorted({first for _, first in keys}):
            ids = [article_id for article_id, n in keys if n == first]
            batch = await reader.run(_related_of(ids, first))
            found |= {(article_id, first): batch[article_id] for article_id in ids}
        return [found[key] for key in keys]

    async def names(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, str | None]:
        query = select(people.c.person_id, people.c.display_name).where(people.c.person_id.in_(ids))
        return {row.person_id: row.display_name for row in await conn.execute(query)}

    return Loaders(
        articles=by_id(queries.load_articles, None),
        topics=by_id(queries.load_topics, ()),
        scores=by_id(lambda conn, ids: queries.load_scores(conn, ids, policy), ()),
        rater_comments=by_id(queries.load_rater_comments, ()),
        subscriber_comments=by_id(queries.load_subscriber_comments, ()),
        related=DataLoader(load_fn=related),
        display_names=by_id(names, None),
        topic_counts=by_id(vocabulary.load_topic_counts, 0),
        retractions=by_id(lambda conn, ids: moderation.load_retractions(conn, store, ids), None),
        hidden_comments=by_id(
            lambda conn, ids: moderation.load_hidden_comments(conn, store, ids), ()
        ),
    )


def _related_of(
    ids: list[str], first: int
) -> Callable[[AsyncConnection], Awaitable[dict[str, list[str]]]]:
    return lambda conn: queries.load_related(conn, ids, first)


@dataclass
class Context:
    request: Request
    response: Response
    services: Services
    principal: Principal | None
    reader: Reader = field(init=False)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.reader = Reader(self.services.engine)
        self.loaders = _loaders(self.reader, self.services)

    async def after_write(self) -> None:
        """Forget what this request read: the next reads must see the write just made."""
        await self.reader.close()
        self.loaders = _loaders(self.reader, self.services)
