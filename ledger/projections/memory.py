"""The views kept in memory: the rows of every view table, folded by ``fold.apply``.

The runner's views for a store that keeps its events in this process (the in-memory store):
the same fold as the SQL projector and a rebuild, with every row always at hand, so the
use cases' rules run and are tested without a database.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ledger.domain.alert_rule import AlertBook, DueAlert
from ledger.domain.requests import DEFAULT_MONTHLY_LIMIT, PoolRater
from ledger.domain.scores import ScorePolicy
from ledger.domain.vocabulary import known_spellings
from ledger.projections.fold import Fact, WorkingSet, apply
from ledger.projections.request_fold import RequestRows, apply_request
from ledger.projections.views import ProjectionBehind
from ledger.store.event_store import EventStore, LedgerTransaction
from ledger.store.records import AppendResult, RecordedEvent

__all__ = ["Contact", "MemoryViews", "Person"]


@dataclass(frozen=True)
class Person:
    person_id: str
    display_name: str | None
    email: str | None


@dataclass(frozen=True)
class Contact:
    contact_id: str
    subscriber_id: str
    email: str | None
    webhook_url: str | None


class MemoryViews:
    """Every view's rows (``rows``), the position they are at, the people table, and the
    alerts projection (``alerts``: every alert made due, in ledger order)."""

    def __init__(self, store: EventStore, policy: ScorePolicy | None = None) -> None:
        self.store = store
        self.rows = WorkingSet()
        self.checkpoint = 0
        self.people: dict[str, Person] = {}
        self.contacts: dict[str, Contact] = {}
        self.book = AlertBook((policy or ScorePolicy()).min_ratings_for_threshold)
        self.alerts: list[DueAlert] = []
        self.requests = RequestRows()  # the requests projection's rows, all of them
        # Sweeps of overdue requests by (actor, key): their moment and articles.
        self.sweeps: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}
        # People and contacts recorded by the attempt under way: kept only once its append
        # is projected, as the SQL tables commit only with the append.
        self._pending: list[Person] = []
        self._pending_contacts: list[Contact] = []

    async def begin(self, tx: LedgerTransaction, *, pessimistic: bool) -> None:
        # The in-memory store runs one transaction at a time: no head to take.
        self._pending = []
        self._pending_contacts = []

    async def topic_spellings(
        self, tx: LedgerTransaction, names: Sequence[str]
    ) -> Mapping[str, str]:
        """By ``topic_key``: how the views spell each of these topics, if they do."""
        held = (t for row in self.rows.topics.rows.values() if row for t in row["topics"])
        return known_spellings(names, held)

    async def record_person(
        self, tx: LedgerTransaction, person_id: str, display_name: str | None, email: str | None
    ) -> None:
        self._pending.append(Person(person_id, display_name, email))

    async def record_contact(
        self,
        tx: LedgerTransaction,
        contact_id: str,
        subscriber_id: str,
        email: str | None,
        webhook_url: str | None,
    ) -> None:
        self._pending_contacts.append(Contact(contact_id, subscriber_id, email, webhook_url))

    async def rater_pool(
        self, tx: LedgerTransaction, disciplines: Sequence[str], month_start: str
    ) -> list[PoolRater]:
        asked: dict[str, int] = {}
        for row in self.requests.requests.rows.values():
            if (
                row is not None
                and row["requested_at"] >= month_start
                and row["status"] != "cancelled"
            ):
                asked[row["rater_id"]] = asked.get(row["rater_id"], 0) + 1
        pool = []
        for rater in self.rows.raters.rows.values():
            if rater is None or rater["discipline"] not in disciplines:
                continue
            profile = self.requests.profiles.get(rater["rater_id"]) or {}
            pool.append(
                PoolRater(
                    rater["rater_id"],
                    rater["discipline"],
                    tuple(json.loads(profile.get("populations", "[]"))),
                    profile.get("monthly_limit", DEFAULT_MONTHLY_LIMIT),
                    profile.get("paused", False),
                    asked.get(rater["rater_id"], 0),
                )
            )
        return sorted(pool, key=lambda r: r.rater_id)

    async def overdue_articles(self, tx: LedgerTransaction, moment: str) -> list[str]:
        rows = self.requests.requests.rows.values()
        due = {r["article_id"] for r in rows if r and r["status"] == "open" and r["due"] <= moment}
        return sorted(due)

    async def sweep_of(
        self, tx: LedgerTransaction, actor_id: str, key: str
    ) -> tuple[str, list[str]] | None:
        found = self.sweeps.get((actor_id, key))
        return None if found is None else (found[0], list(found[1]))

    async def record_sweep(
        self, tx: LedgerTransaction, actor_id: str, key: str, moment: str, articles: list[str]
    ) -> None:
        self.sweeps[(actor_id, key)] = (moment, tuple(articles))

    async def project(self, tx: LedgerTransaction, result: AppendResult) -> None:
        # The checkpoint guard first: never project over a gap in the views.
        if self.checkpoint != result.first_position - 1:
            raise ProjectionBehind(f"the views are not at position {result.first_position - 1}")
        self._apply(result.events)
        self.people.update((p.person_id, p) for p in self._pending)
        self.contacts.update((c.contact_id, c) for c in self._pending_contacts)
        self._pending = []
        self._pending_contacts = []

    async def catch_up(self) -> None:
        while page := await self.store.read_all(self.checkpoint):
            self._apply(page)

    def _apply(self, events: Sequence[RecordedEvent]) -> None:
        registry = self.store.registry
        for e in events:
            fact = Fact(
                registry.decode(e.type, e.payload),
                e.position,
                e.stream_version,
                e.metadata.recorded_at,
            )
            apply(self.rows, fact)
            apply_request(self.requests, fact)
            self.alerts += self.book.apply(fact.event, e.position)
            self.checkpoint = e.position
