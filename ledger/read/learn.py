"""How this process learns of new positions, chosen by the database it serves."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.read.changes import LearningChanges, PolledChanges
from ledger.read.data_version import DataVersionChanges
from ledger.read.listened import ListenedChanges
from ledger.store.sqlite import database_file

__all__ = ["start_learning"]


async def start_learning(engine: AsyncEngine) -> LearningChanges:
    """PostgreSQL: the append's notifications; a SQLite file: its change counter; an
    in-memory SQLite database (one connection's own): the polled read. Close it when done."""
    if engine.dialect.name == "postgresql":
        listened = ListenedChanges(engine)
        await listened.start()
        changes: LearningChanges = listened
    elif (path := database_file(engine)) is not None:
        changes = DataVersionChanges(engine, path)
    else:
        changes = PolledChanges(engine)
    try:
        await changes.current()  # the first look: where the log stands
    except BaseException:
        await changes.close()  # the listener's connection and task, on PostgreSQL
        raise
    return changes
