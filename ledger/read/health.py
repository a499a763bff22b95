"""Whether the database can serve: it answers, and its schema is at the newest migration."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.store.revision import HEAD_REVISION, SeveralRevisions, current_revision

__all__ = ["DatabaseHealth", "database_health"]


@dataclass(frozen=True)
class DatabaseHealth:
    reachable: bool
    revision: str | None = None  # the migration the database is at, when reachable

    @property
    def up_to_date(self) -> bool:
        return self.reachable and self.revision == HEAD_REVISION


async def database_health(engine: AsyncEngine) -> DatabaseHealth:
    """Asks the database a trivial question, then which migration it is at. A database that
    cannot be reached, or refuses, is unreachable (never an error to the caller)."""
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        revision = await current_revision(engine)
    except (SQLAlchemyError, OSError):
        return DatabaseHealth(reachable=False)
    except SeveralRevisions as several:
        # Reachable, and not at the one newest revision: not ready to serve.
        return DatabaseHealth(reachable=True, revision=", ".join(several.revisions))
    return DatabaseHealth(reachable=True, revision=revision)
