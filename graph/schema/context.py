"""The per-request context: who is calling, the use cases, and the request's loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import Response
from strawberry.dataloader import DataLoader

from graph.schema.facts import ReadFacts, RecordingReader
from graph.schema.rate_limit import MutationRates
from graph.schema.single_flight import SingleFlight
from graph.settings import Settings
from ledger.domain.scores import DisciplineScore
from ledger.read import moderation, raters, vocabulary
from ledger.read.articles import ArticleSummary, load_articles, load_topics
from ledger.read.changes import LedgerChanges
from ledger.read.comments import (
    RaterComment,
    SubscriberComment,
    load_rater_comments,
    load_subscriber_comments,
)
from ledger.read.live import LiveLedger
from ledger.read.pages import DriverReads
from ledger.read.reader import BatchRead, Database, Read, Reader
from ledger.read.related import load_related
from ledger.read.replica import Replica
from ledger.read.scores import load_scores
from ledger.replay.rebuild import ProjectionReport
from ledger.store.records import ChainReport
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases.service import EvidenceLedger
from ledger.use_cases.tokens import Principal

__all__ = ["Context", "Loaders", "Reader", "Services", "new_loaders"]

T = TypeVar("T")


@dataclass(frozen=True)
class Services:
    """What lives as long as the app: built once in the lifespan."""

    settings: Settings
    engine: Database
    store: SQLEventStore
    ledger: EvidenceLedger
    mutation_rates: MutationRates
    # The chain and the views checked; concurrent callers share one run (a full replay).
    verification: SingleFlight[tuple[ChainReport, ProjectionReport]]
    # What this process knows of the ledger's positions (ledger.read.changes): whether a kept
    # answer may still be served, and whether a client's Ledger-Position has been reached.
    changes: LedgerChanges
    # The known pages' one statement on the driver (ledger.read.pages; on PostgreSQL a pool
    # of its own), always on the primary.
    page_reads: DriverReads
    # A streaming replica that queries read from once it has replayed what the client wrote
    # (graph.http.read_your_writes); None: every read on the primary.
    replica: Replica | None = None
    # The fan-out that wakes live subscriptions (ledger.read.live); None until started.
    live: LiveLedger | None = None


@dataclass
class Loaders:
    """DataLoaders of one request: one statement per kind of thing, whatever the page size."""

    articles: DataLoader[str, ArticleSummary | None]
    topics: DataLoader[str, tuple[str, ...]]
    scores: DataLoader[str, tuple[DisciplineScore, ...]]
    rater_comments: DataLoader[str, tuple[RaterComment, ...]]
    subscriber_comments: DataLoader[str, tuple[SubscriberComment, ...]]
    related: DataLoader[tuple[str, int], list[str]]
    display_names: DataLoader[str, str | None]
    topic_counts: DataLoader[str, int]
    retractions: DataLoader[str, moderation.Retraction | None]
    hidden_comments: DataLoader[str, tuple[moderation.HiddenComment, ...]]


def _loaders(reader: RecordingReader, services: Services) -> Loaders:
    policy, store = services.settings.score_policy, services.store

    def by_id(load: BatchRead[str, T], default: T) -> DataLoader[str, T]:
        """Keys that are not articles: reading them counts as reading the whole ledger."""

        async def batch(ids: list[str]) -> list[T]:
            found = await reader.run(lambda conn: load(conn, ids))
            return [found.get(i, default) for i in ids]

        return DataLoader(load_fn=batch)

    def by_article(load: BatchRead[str, T], default: T) -> DataLoader[str, T]:
        """An article's own data, which only its stream's events change."""

        async def batch(ids: list[str]) -> list[T]:
            found = await reader.run_for(ids, lambda conn: load(conn, ids))
            return [found.get(i, default) for i in ids]

        return DataLoader(load_fn=batch)

    async def display_names(ids: list[str]) -> list[str | None]:
        # No fact recorded: these are the authors of comments already read (recorded with
        # their article), and a person's name is written once, before they can post, and
        # never changed (no event and no command updates it). Erasure, when it comes, must
        # append an event, or this must record the whole ledger.
        found = await Reader.run(reader, lambda conn: raters.display_names(conn, ids))
        return [found.get(i) for i in ids]

    async def related(keys: list[tuple[str, int]]) -> list[list[str]]:
        found: dict[tuple[str, int], list[str]] = {}
        for first in sorted({first for _, first in keys}):
            ids = [article_id for article_id, n in keys if n == first]
            batch = await reader.run(_related_of(ids, first))
            found |= {(article_id, first): batch[article_id] for article_id in ids}
        return [found[key] for key in keys]

    return Loaders(
        articles=by_article(load_articles, None),
        topics=by_article(load_topics, ()),
        scores=by_article(lambda conn, ids: load_scores(conn, ids, policy), ()),
        rater_comments=by_article(load_rater_comments, ()),
        subscriber_comments=by_article(load_subscriber_comments, ()),
        # Other articles' topics, dates and retractions: the whole ledger (the protocol of
        # changes names articles, not kinds of event, so nothing narrower can be exact).
        related=DataLoader(load_fn=related),
        display_names=DataLoader(load_fn=display_names),
        topic_counts=by_id(vocabulary.load_topic_counts, 0),
        retractions=by_article(
            lambda conn, ids: moderation.load_retractions(conn, store, ids), None
        ),
        hidden_comments=by_article(
            lambda conn, ids: moderation.load_hidden_comments(conn, store, ids), ()
        ),
    )


def new_loaders(reader: RecordingReader, services: Services) -> Loaders:
    """Loaders of their own on ``reader`` (a live subscription's message has its own)."""
    return _loaders(reader, services)


def _related_of(ids: list[str], first: int) -> Read[dict[str, list[str]]]:
    return lambda conn: load_related(conn, ids, first)


@dataclass
class Context:
    request: Request
    response: Response
    services: Services
    principal: Principal | None
    reader: RecordingReader = field(init=False)
    loaders: Loaders = field(init=False)
    facts: ReadFacts = field(init=False, default_factory=ReadFacts)

    def __post_init__(self) -> None:
        # A replica when graph.http.read_your_writes found it far enough along, else the primary.
        database = getattr(self.request.state, "read_database", None) or self.services.engine
        replica = self.services.replica
        self.reader = RecordingReader(
            database,
            self.facts,
            self.services.changes,
            instead=self._primary_instead if replica and database is replica.engine else None,
        )
        self.loaders = _loaders(self.reader, self.services)

    def _primary_instead(self, error: BaseException) -> Database | None:
        """The first read on the replica failed: the primary answers, unless the read itself
        was at fault (``Replica.instead_of``)."""
        assert self.services.replica is not None
        return self.services.engine if self.services.replica.instead_of(error) else None

    async def after_write(self) -> None:
        """Forget what this request read: the next reads must see the write just made (on the
        primary: a replica may not have it yet)."""
        self.reader.read_from(self.services.engine)
        await self.reader.close()
        self.loaders = _loaders(self.reader, self.services)
