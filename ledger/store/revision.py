"""The schema's revision, as Alembic records it, read without Alembic.

Every command and every start of ``serve`` asks whether the database is at the newest
migration, and ``/healthz`` asks at every call. Alembic answers by importing itself (about a
third of a second) and every migration script (a tenth more); here it is a constant and one
read of Alembic's version table. ``ledger.store.migrate`` (Alembic) is loaded only when a
schema must move.
"""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.domain.errors import LedgerError

__all__ = ["HEAD_REVISION", "SeveralRevisions", "current_revision", "upgrade_to_head"]

# The newest migration's revision; tests/store/test_migrations.py holds it to Alembic's head,
# so a new migration that does not move it here fails there.
HEAD_REVISION = "0016"
VERSION_TABLE = "alembic_version"  # Alembic's default, which migrations/env.py keeps


class SeveralRevisions(LedgerError):
    """Alembic's version table names more than one revision (branches, or a hand-made row):
    there is no one schema to check, and nothing here guesses which."""

    def __init__(self, revisions: list[str]) -> None:
        self.revisions = revisions
        super().__init__(
            f"the database records several schema revisions ({', '.join(revisions)}), "
            f"where the ledger's migrations make one ({HEAD_REVISION} at the newest)"
        )


async def current_revision(engine: AsyncEngine) -> str | None:
    """The migration the database is at; None for a database without the ledger's schema."""
    async with engine.connect() as conn:
        return await conn.run_sync(_recorded)


def _recorded(connection: Connection) -> str | None:
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    found = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(found) > 1:
        raise SeveralRevisions(sorted(found))
    return found[0] if found else None


async def upgrade_to_head(engine: AsyncEngine) -> None:
    """The schema brought to the newest migration, Alembic loaded only when it is not
    there already (a schema at the head is never moved back by a migration running beside
    this, so the check needs no lock)."""
    if await current_revision(engine) == HEAD_REVISION:
        return
    from ledger.store.migrate import upgrade  # here: only a schema behind needs Alembic

    await upgrade(engine)
