"""Running the Alembic migrations from code, on the caller's engine."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.store.backends import backend_of
from ledger.store.db import write_transaction
from ledger.store.revision import current_revision

__all__ = ["alembic_config", "current_revision", "downgrade", "head_revision", "upgrade"]


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("migrations")))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    await _run(engine, command.upgrade, revision)


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    await _run(engine, command.downgrade, revision)


async def _run(engine: AsyncEngine, step: Any, revision: str) -> None:
    # One transaction that Alembic joins, begun here: on SQLite with the write lock taken
    # and waited for at BEGIN, so that migrations started at once (two commands on a new
    # file) run one after the other, the second finding the schema at head. (Left to
    # itself, Alembic commits each SQLite migration apart, and a second process reading
    # the version between two of them ran them again.)
    # On PostgreSQL, a transaction-long advisory lock does the same.
    async with write_transaction(engine) as conn:
        await backend_of(conn).serialise_migrations(conn)
        await conn.run_sync(lambda sync: step(alembic_config(sync), revision))


def head_revision() -> str | None:
    """The newest migration's revision, as Alembic finds it in the scripts (the command line
    and the service use ``ledger.store.revision.HEAD_REVISION``, held equal to it)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
