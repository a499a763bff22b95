"""What the runner keeps in step beside the log, as a protocol: the views any store comes
with (the SQL tables, ``ledger.use_cases.sql_views``; the rows in memory,
``ledger.projections.memory``), and the one way they say they are behind.

No database here: the use cases type against this and the store's protocols, and load no SQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from ledger.domain.requests import PoolRater
from ledger.store.event_store import LedgerTransaction
from ledger.store.records import AppendResult

__all__ = ["ProjectionBehind", "Views"]


class ProjectionBehind(Exception):
    """The live views have not seen every event before this append (e.g. after a migration
    on an existing ledger): they must catch up before anything is projected on top."""


class Views(Protocol):
    """The read views, the vocabulary of topics they hold, and the people and contacts kept
    outside the chain, moved in the append's transaction ``tx``. Views are made for one
    store and are given only that store's transactions."""

    async def begin(self, tx: LedgerTransaction, *, pessimistic: bool) -> None:
        """Before deciding; ``pessimistic``: take the ledger head first (the last attempt
        cannot then lose a race)."""
        ...

    async def topic_spellings(
        self, tx: LedgerTransaction, names: Sequence[str]
    ) -> Mapping[str, str]:
        """By ``topic_key``: how the views spell each of these topics, if they do."""
        ...

    async def record_person(
        self, tx: LedgerTransaction, person_id: str, display_name: str | None, email: str | None
    ) -> None: ...

    async def record_contact(
        self,
        tx: LedgerTransaction,
        contact_id: str,
        subscriber_id: str,
        email: str | None,
        webhook_url: str | None,
    ) -> None: ...

    async def rater_pool(
        self, tx: LedgerTransaction, disciplines: Sequence[str], month_start: str
    ) -> list[PoolRater]:
        """The raters of ``disciplines``, their profiles and their requests since
        ``month_start``, as the views hold them in ``tx``, in rater id order."""
        ...

    async def overdue_articles(self, tx: LedgerTransaction, moment: str) -> list[str]:
        """The articles with an open request due by ``moment``, in id order."""
        ...

    async def sweep_of(
        self, tx: LedgerTransaction, actor_id: str, key: str
    ) -> tuple[str, list[str]] | None:
        """The moment and the articles of the sweep ``actor_id`` ran under ``key``, if any."""
        ...

    async def record_sweep(
        self, tx: LedgerTransaction, actor_id: str, key: str, moment: str, articles: list[str]
    ) -> None:
        """Keep a sweep's moment and articles under its key (outside the chain)."""
        ...

    async def project(self, tx: LedgerTransaction, result: AppendResult) -> None:
        """Project the append's events; ``ProjectionBehind`` when the views missed some."""
        ...

    async def catch_up(self) -> None:
        """Project whatever the log holds that the views have not seen."""
        ...
