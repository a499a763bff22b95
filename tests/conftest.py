from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.db import create_engine
from ledger.migrate import upgrade
from ledger.store import EventStore
from tests.backends import create_postgres_database, drop_postgres_database, postgres_server

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(params=BACKENDS)
async def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A new, empty database on each backend (no schema yet)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    server_url = request.getfixturevalue("postgres_server_url")
    url = await create_postgres_database(server_url)
    yield url
    await drop_postgres_database(server_url, url)


@pytest.fixture
async def database_url(empty_database_url: str) -> str:
    """A database on each backend, migrated to head."""
    engine = create_engine(empty_database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    return empty_database_url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def store(engine: AsyncEngine) -> EventStore:
    return EventStore(engine)
