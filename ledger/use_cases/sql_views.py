"""The runner's views on a SQL store: the view tables, the topic index and the people table,
written on the append's own connection so they commit or roll back with it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import insert

from ledger.projections.alerts import advance_alerts
from ledger.projections.projector import (
    ProjectionBehind,
    Projector,
    advance_checkpoints,
    catch_up,
)
from ledger.read import vocabulary
from ledger.store.append import lock_head
from ledger.store.records import AppendResult
from ledger.store.sql_store import SQLEventStore
from ledger.store.sql_store import SQLTransaction as LedgerTransaction
from ledger.store.tables import alert_contacts, people

__all__ = ["SqlViews"]


class SqlViews:
    def __init__(self, store: SQLEventStore, projector: Projector) -> None:
        self.store = store
        self.projector = projector

    async def begin(self, tx: LedgerTransaction, *, pessimistic: bool) -> None:
        if pessimistic:
            await lock_head(tx.connection)

    async def topic_spellings(
        self, tx: LedgerTransaction, names: Sequence[str]
    ) -> Mapping[str, str]:
        return await vocabulary.topic_spellings(tx.connection, names)

    async def record_person(
        self, tx: LedgerTransaction, person_id: str, display_name: str | None, email: str | None
    ) -> None:
        await tx.connection.execute(
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
        await tx.connection.execute(
            insert(alert_contacts).values(
                contact_id=contact_id,
                subscriber_id=subscriber_id,
                email=email,
                webhook_url=webhook_url,
            )
        )

    async def project(self, tx: LedgerTransaction, result: AppendResult) -> None:
        # The checkpoint guards first: never project over a gap in the views.
        conn, first, last = tx.connection, result.first_position, result.last_position
        await advance_checkpoints(conn, last, after=first - 1)
        await self.projector.project(conn, result.events)
        if not await advance_alerts(conn, last, after=first - 1):
            raise ProjectionBehind(f"the alerts are not at position {first - 1}")
        await self.projector.alerts.project(conn, result.events)

    async def catch_up(self) -> None:
        await catch_up(self.store, self.projector)
