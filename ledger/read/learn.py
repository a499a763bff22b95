"""How this process learns of new positions, as its database's read backend says."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.read.backends import backend_named
from ledger.read.changes import LearningChanges

__all__ = ["start_learning"]


async def start_learning(engine: AsyncEngine) -> LearningChanges:
    """PostgreSQL: the append's notifications; a SQLite file: its change counter; an
    in-memory SQLite database (one connection's own): the polled read. Close it when done."""
    changes = await backend_named(engine.dialect.name).learning_changes(engine)
    try:
        await changes.current()  # the first look: where the log stands
    except BaseException:
        await changes.close()  # the listener's connection and task, on PostgreSQL
        raise
    return changes
