"""Two "processes" on one database: each its own engine and store, as two servers would be."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from ledger.read.changes import LearningChanges
from ledger.read.learn import start_learning
from ledger.store.db import create_engine
from ledger.store.records import Actor, AppendResult, NewEvent
from ledger.store.sql_store import SQLEventStore

EDITOR = Actor("editor-1", "editor")


def retraction(article_id: str) -> NewEvent:
    return NewEvent("ArticleRetracted", {"article_id": article_id, "reason": "r"})


@dataclass
class Process:
    """One process's view of the ledger: its store (whose commits its ``changes`` learn at
    once) and how it learns of everyone else's."""

    store: SQLEventStore
    changes: LearningChanges

    async def retract(self, article_id: str) -> AppendResult:
        return await self.store.append(
            f"article:{article_id}", None, [retraction(article_id)], actor=EDITOR
        )


async def start_process(database_url: str) -> Process:
    engine = create_engine(database_url)
    store = SQLEventStore(engine)
    changes = await start_learning(engine)
    store.on_commit(changes.committed)
    return Process(store, changes)


async def stop_process(process: Process) -> None:
    await process.changes.close()
    await process.store.engine.dispose()


@pytest.fixture
async def this_process(database_url: str) -> AsyncIterator[Process]:
    process = await start_process(database_url)
    yield process
    await stop_process(process)


@pytest.fixture
async def other_process(database_url: str) -> AsyncIterator[Process]:
    process = await start_process(database_url)
    yield process
    await stop_process(process)
