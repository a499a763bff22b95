"""The runner's views on a SQL store: the view tables, the topic index and the people table,
written on the append's own connection so they commit or roll back with it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import insert

from ledger.projections.projector import Projector, advance_checkpoints, catch_up
from ledger.read import vocabulary
from ledger.store.append import lock_head
from ledger.store.records import AppendResult
from ledger.store.sql_store import SQLEventStore
from ledger.store.sql_store import SQLTransaction as LedgerTransaction
from ledger.store.tables import people

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

    async def project(self, tx: LedgerTransaction, result: AppendResult) -> None:
        # The checkpoint guard first: never project over a gap in the views.
        await advance_checkpoints(
            tx.connection, result.last_position, after=result.first_position - 1
        )
        await self.projector.project(tx.connection, result.events)

    async def catch_up(self) -> None:
        await catch_up(self.store, self.projector)
