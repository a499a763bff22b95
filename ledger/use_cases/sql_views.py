"""The ledger on a SQL store: its views are the view tables, the topic index and the people
and contacts tables, written on the append's own connection so they commit or roll back with
it. ``sql_ledger`` is where these pieces are chosen: the runner and the commands know only the
store's and the views' protocols."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from sqlalchemy import insert, select

from ledger.domain.requests import PoolRater, RequestPolicy
from ledger.domain.scores import ScorePolicy
from ledger.projections.alerts import advance_alerts
from ledger.projections.projector import Projector, advance_checkpoints, catch_up
from ledger.projections.views import ProjectionBehind
from ledger.read import requests, vocabulary
from ledger.store.append import lock_head
from ledger.store.event_store import LedgerTransaction
from ledger.store.records import AppendResult
from ledger.store.sql_store import SQLEventStore, connection_of
from ledger.store.tables import alert_contacts, people, request_sweeps
from ledger.use_cases.runner import Clock, utc_now
from ledger.use_cases.service import EvidenceLedger

__all__ = ["SqlViews", "sql_ledger"]


def sql_ledger(
    store: SQLEventStore,
    projector: Projector | None = None,
    *,
    conflict_retries: int = 5,
    policy: ScorePolicy | None = None,
    requests: RequestPolicy | None = None,
    clock: Clock = utc_now,
) -> EvidenceLedger:
    """The commands of a ledger kept in SQLite or PostgreSQL, its views the live tables
    (``projector``, by default over the store's event types; ``policy``: the deployment's,
    by which the alerts projection decides)."""
    views = SqlViews(store, projector or Projector(registry=store.registry, policy=policy))
    return EvidenceLedger(
        store, views, conflict_retries=conflict_retries, requests=requests, clock=clock
    )


class SqlViews:
    def __init__(self, store: SQLEventStore, projector: Projector) -> None:
        self.store = store
        self.projector = projector

    async def begin(self, tx: LedgerTransaction, *, pessimistic: bool) -> None:
        if pessimistic:
            await lock_head(connection_of(tx))

    async def topic_spellings(
        self, tx: LedgerTransaction, names: Sequence[str]
    ) -> Mapping[str, str]:
        return await vocabulary.topic_spellings(connection_of(tx), names)

    async def record_person(
        self, tx: LedgerTransaction, person_id: str, display_name: str | None, email: str | None
    ) -> None:
        await connection_of(tx).execute(
            insert(people).values(person_id=person_id, display_name=display_name, email=email)
        )

    async def record_contact(
        self,
        tx: LedgerTransaction,
        contact_id: str,
        subscriber_id: str,
        email: str | None,
        webhook_url: str | None,
    ) -> None:
        await connection_of(tx).execute(
            insert(alert_contacts).values(
                contact_id=contact_id,
                subscriber_id=subscriber_id,
                email=email,
                webhook_url=webhook_url,
            )
        )

    async def rater_pool(
        self, tx: LedgerTransaction, disciplines: Sequence[str], month_start: str
    ) -> list[PoolRater]:
        return await requests.rater_pool(connection_of(tx), disciplines, month_start)

    async def overdue_articles(self, tx: LedgerTransaction, moment: str) -> list[str]:
        return await requests.overdue_articles(connection_of(tx), moment)

    async def sweep_of(
        self, tx: LedgerTransaction, actor_id: str, key: str
    ) -> tuple[str, list[str]] | None:
        found = (
            await connection_of(tx).execute(
                select(request_sweeps.c.moment, request_sweeps.c.articles).where(
                    request_sweeps.c.actor_id == actor_id,
                    request_sweeps.c.idempotency_key == key,
                )
            )
        ).first()
        return None if found is None else (found.moment, json.loads(found.articles))

    async def record_sweep(
        self, tx: LedgerTransaction, actor_id: str, key: str, moment: str, articles: list[str]
    ) -> None:
        await connection_of(tx).execute(
            insert(request_sweeps).values(
                actor_id=actor_id, idempotency_key=key, moment=moment, articles=json.dumps(articles)
            )
        )

    async def project(self, tx: LedgerTransaction, result: AppendResult) -> None:
        # The checkpoint guards first: never project over a gap in the views.
        conn, first, last = connection_of(tx), result.first_position, result.last_position
        await advance_checkpoints(conn, last, after=first - 1)
        await self.projector.project(conn, result.events)
        await self.projector.requests.project(conn, result.events)
        if not await advance_alerts(conn, last, after=first - 1):
            raise ProjectionBehind(f"the alerts are not at position {first - 1}")
        await self.projector.alerts.project(conn, result.events)

    async def catch_up(self) -> None:
        await catch_up(self.store, self.projector)
