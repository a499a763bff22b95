"""Every rebuild test starts from the same history (``history.populate``), written through the
use cases once per module and backend; each test gets a copy of its own (a clone of that
database on PostgreSQL, a copy of the file on SQLite), since writing it costs seconds a test."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from ledger.store.db import create_engine
from ledger.store.sql_store import SQLEventStore
from tests.backends import postgres_clone
from tests.store.rebuild.history import populate


@pytest.fixture(scope="module")
async def history_url(module_database_url: str) -> str:
    """The module's database, the history written into it: only ever copied, never opened by
    a test (PostgreSQL copies a database only while nobody is connected to it)."""
    engine = create_engine(module_database_url)
    try:
        await populate(SQLEventStore(engine))
    finally:
        await engine.dispose()
    return module_database_url


@pytest.fixture
async def database_url(
    backend: str, history_url: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    """A database of the test's own, holding the history."""
    if backend == "sqlite":
        template = make_url(history_url).database
        assert template is not None
        path = tmp_path / "ledger.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    async with postgres_clone(request.getfixturevalue("postgres_server_url"), history_url) as url:
        yield url
