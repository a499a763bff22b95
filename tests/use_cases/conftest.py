"""Use cases on the in-memory store and views: the runner's rules without a database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from ledger.domain.commands import EnrolRater, RegisterArticle, RegisterDiscipline, SubmitRating
from ledger.projections.memory import MemoryViews
from ledger.store.memory import MemoryEventStore
from ledger.store.records import Actor, AppendResult
from ledger.use_cases.service import EvidenceLedger

EDITOR = Actor("editor-1", "editor")
SUBSCRIBER = Actor("subscriber-1", "subscriber")

CITATION: dict[str, Any] = {
    "title": "Intradiscal bone marrow concentrate for discogenic pain",
    "authors": ["Her YF", "Kubrova E"],
    "journal": "Journal of Pain Research",
    "journal_abbreviation": "J Pain Res",
    "published_on": "2022-10-20",
    "study_type": "Systematic review",
    "abstract": "Sixteen studies, 607 participants.",
}


@dataclass
class World:
    """A ledger with one discipline, one enrolled physician and one registered article."""

    ledger: EvidenceLedger
    store: MemoryEventStore
    views: MemoryViews
    article_id: str = "a1"
    rater_id: str = "physician-1"

    @property
    def rater(self) -> Actor:
        return Actor(self.rater_id, "rater")

    async def rate(
        self, relevance: int = 6, newsworthiness: int = 5, idempotency_key: str | None = None
    ) -> AppendResult:
        return await self.ledger.execute(
            SubmitRating(self.article_id, self.rater_id, relevance, newsworthiness),
            actor=self.rater,
            idempotency_key=idempotency_key,
        )


@pytest.fixture
def event_store() -> MemoryEventStore:
    return MemoryEventStore()


@pytest.fixture
async def world(event_store: MemoryEventStore) -> World:
    store = event_store
    views = MemoryViews(store)
    ledger = EvidenceLedger(store, views=views)
    await ledger.execute(RegisterDiscipline("Physician"), actor=EDITOR)
    await ledger.execute(
        EnrolRater(rater_id="physician-1", discipline="Physician", display_name="Dr One"),
        actor=EDITOR,
    )
    await ledger.execute(
        RegisterArticle(article_id="a1", citation=CITATION, topics=["Back Pain"]), actor=EDITOR
    )
    return World(ledger, store, views)
