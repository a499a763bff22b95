"""PostgreSQL's ``ledger_append``: the text in ``ledger.store.postgres`` is the one the
database runs, and the migrations' frozen copies are left as they were."""

from __future__ import annotations

import hashlib
import importlib
from importlib.resources import files
from types import ModuleType

from sqlalchemy import text

from ledger.store import postgres
from ledger.store.db import create_engine

# Migration 0005's copy as it was released: a migration already run must never change.
FROZEN_0005_SHA256 = "90bffee74809cb4c54cd65ad0adfcfefb9f6129bf2d621c9eb63c38b2034f9b6"


def _migration(stem: str) -> ModuleType:
    return importlib.import_module(f"migrations.versions.{stem}")


def _migrations_creating_the_function() -> list[ModuleType]:
    """Every migration that (re)creates ``ledger_append``, oldest first."""
    stems = sorted(
        path.name.removesuffix(".py")
        for path in files("migrations.versions").iterdir()
        if path.name[:4].isdigit() and path.name.endswith(".py")
    )
    modules = [_migration(stem) for stem in stems]
    return [m for m in modules if "CREATE FUNCTION ledger_append(" in getattr(m, "CREATE", "")]


def test_the_store_calls_the_function_the_newest_migration_creates() -> None:
    creating = _migrations_creating_the_function()
    assert [m.revision for m in creating] == ["0005", "0006", "0008"]
    newest = creating[-1]
    assert postgres.LEDGER_APPEND_FUNCTION == newest.CREATE
    assert postgres.LEDGER_APPEND_SIGNATURE == newest.SIGNATURE


def test_migration_0005_keeps_its_frozen_copy() -> None:
    create = _migration("0005_postgres_append_function").CREATE
    assert hashlib.sha256(create.encode()).hexdigest() == FROZEN_0005_SHA256


async def test_a_migrated_database_runs_the_stores_text(migrated_postgresql_url: str) -> None:
    engine = create_engine(migrated_postgresql_url)
    try:
        async with engine.connect() as conn:
            body = await conn.scalar(
                text("SELECT prosrc FROM pg_proc WHERE proname = 'ledger_append'")
            )
    finally:
        await engine.dispose()
    _, expected, _ = postgres.LEDGER_APPEND_FUNCTION.split("$$")
    assert body == expected
