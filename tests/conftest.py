from __future__ import annotations

import compileall
import os
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.store.db import create_engine
from ledger.store.sql_store import SQLEventStore
from tests.backends import (
    Fill,
    NewDatabase,
    create_postgres_database,
    drop_postgres_database,
    frozen_template,
    memory_directory,
    migrated_template,
    postgres_clone,
    postgres_server,
    upgraded,
)
from tests.scheduling import long_tests_first

BACKENDS = ["sqlite", "postgresql"]

# Timing belongs in the benchmarks: no property test fails for being slow on a loaded machine
# (Hypothesis's default deadline of 200 ms per example would).
settings.register_profile("evidence-ledger", deadline=None)
settings.load_profile("evidence-ledger")

# The tests' files (SQLite databases, logs) in memory where the machine has a tmpfs: every
# commit on SQLite waits for an fsync, which on a busy disk costs more than the commit itself.
# Nothing here is meant to outlive the machine; killing a process keeps what it wrote either way.
if (memory := memory_directory()) is not None:
    os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", memory)


# The checkout's packages, as the suite's processes import them.
PROJECT = Path(__file__).resolve().parents[1]
PACKAGES = ("graph", "ledger", "migrations", "tests")


def pytest_configure(config: pytest.Config) -> None:
    """Where Python writes no bytecode (PYTHONDONTWRITEBYTECODE, as container images often
    set), the project is compiled once, before the workers start, as pip compiles every
    other package when it installs it (an editable install compiles nothing of the project).
    Otherwise each of the suite's processes (the workers, and every `serve` and command a
    test starts) compiles each module it imports again: a quarter of a second or more of
    CPU per process."""
    if not sys.dont_write_bytecode or hasattr(config, "workerinput"):
        return
    for package in PACKAGES:
        compileall.compile_dir(PROJECT / package, quiet=1)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker more than the cores this process may use. A worker spends about
    a fifth of its time waiting (for a `serve` process or a browser to start, for a server's
    answer, for a lock), and the extra worker keeps the cores busy meanwhile."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) + 1
    return (os.cpu_count() or 1) + 1


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    items[:] = long_tests_first(items, workers)


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
async def postgres_template_url(postgres_server_url: str) -> AsyncIterator[str]:
    """A database migrated to head once per server, which ``database_url`` clones."""
    async with migrated_template(postgres_server_url) as url:
        yield url


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The backend a test runs on: every test that needs a database runs on each. A module's
    tests on one backend run together, so they can share ``module_database_url``."""
    backend: str = request.param
    return backend


@pytest.fixture
async def empty_database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    """A new, empty database on each backend (no schema yet)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    server_url = request.getfixturevalue("postgres_server_url")
    url = await create_postgres_database(server_url)
    yield url
    await drop_postgres_database(server_url, url)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> str:
    """A new database on each backend, migrated to head."""
    url: str = request.getfixturevalue(f"migrated_{backend}_url")
    return url


@pytest.fixture(scope="session")
async def sqlite_template_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file the migrations brought to head once per session (per worker), which
    ``migrated_sqlite_url`` copies: the same file as migrating one, made in less time."""
    path = tmp_path_factory.mktemp("template") / "ledger.db"
    await upgraded(f"sqlite:///{path}")
    # The last connection's close checkpointed the WAL: the file alone is the database.
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    return path


def _copied(template: Path, directory: Path) -> str:
    path = directory / "ledger.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def migrated_sqlite_url(sqlite_template_path: Path, tmp_path: Path) -> str:
    return _copied(sqlite_template_path, tmp_path)


@pytest.fixture
async def migrated_postgresql_url(
    postgres_server_url: str, postgres_template_url: str
) -> AsyncIterator[str]:
    """A clone of the migrated template: the same database as migrating one, made in less time."""
    async with postgres_clone(postgres_server_url, postgres_template_url) as url:
        yield url


@pytest.fixture
def migrated_templates(backend: str, request: pytest.FixtureRequest) -> tuple[str, str | None]:
    """The backend's database at head that tests copy (a SQLite file's path, a PostgreSQL
    template's URL), and the PostgreSQL server's URL (None on SQLite)."""
    if backend == "sqlite":
        return str(request.getfixturevalue("sqlite_template_path")), None
    template: str = request.getfixturevalue("postgres_template_url")
    return template, request.getfixturevalue("postgres_server_url")


@pytest.fixture
async def prepared_database(
    migrated_templates: tuple[str, str | None], tmp_path: Path
) -> AsyncIterator[Callable[[Fill], NewDatabase]]:
    """For a property test whose examples each need a ledger of their own (a whole-log check
    then reads one example's log, not every example's before it), all prepared alike: given
    ``fill``, makes a database at head that ``fill`` wrote, a new one per call. ``fill`` runs
    once, on a template that each call copies (a copy costs a fraction of writing it again)."""
    migrated, server_url = migrated_templates
    templates: dict[Fill, str] = {}
    async with AsyncExitStack() as stack:

        async def template_of(fill: Fill) -> str:
            if fill in templates:
                return templates[fill]
            if server_url is None:
                url = _copied(Path(migrated), Path(tempfile.mkdtemp(dir=tmp_path)))
                await fill(url)
                # As the migrated template: the last close checkpointed the WAL into the file.
                path = Path(make_url(url).database or "")
                assert [p.name for p in path.parent.iterdir()] == [path.name]
            else:
                url = await stack.enter_async_context(
                    frozen_template(server_url, fill, template=migrated)
                )
            templates[fill] = url
            return url

        @asynccontextmanager
        async def copy_of(fill: Fill) -> AsyncIterator[str]:
            template = await template_of(fill)
            if server_url is None:
                path = Path(make_url(template).database or "")
                yield _copied(path, Path(tempfile.mkdtemp(dir=tmp_path)))
            else:
                async with postgres_clone(server_url, template) as url:
                    yield url

        yield lambda fill: lambda: copy_of(fill)


@pytest.fixture(scope="module")
def module_database_url(backend: str, request: pytest.FixtureRequest) -> str:
    """A database migrated to head, shared by a module's tests on one backend: only for tests
    that leave it as they found it and do not depend on what the others wrote."""
    url: str = request.getfixturevalue(f"module_migrated_{backend}_url")
    return url


@pytest.fixture(scope="module")
def module_migrated_sqlite_url(
    sqlite_template_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> str:
    return _copied(sqlite_template_path, tmp_path_factory.mktemp("module"))


@pytest.fixture(scope="module")
async def module_migrated_postgresql_url(
    postgres_server_url: str, postgres_template_url: str
) -> AsyncIterator[str]:
    async with postgres_clone(postgres_server_url, postgres_template_url) as url:
        yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def store(engine: AsyncEngine) -> SQLEventStore:
    return SQLEventStore(engine)
