"""The browser tests: `serve` as a real process on a SQLite file with the sample article, and
Debian's Chromium driven by Playwright (never a browser Playwright downloads itself).

Without Chromium the tests are skipped, saying why; with ``CI`` set they fail instead, since
`.ci/run` installs it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from graph.app import prepare_database
from graph.settings import Settings
from ledger.store.db import create_engine
from ledger.use_cases.tokens import issue_token
from tests.e2e.test_serve import (
    CONSOLE_SCRIPT,
    Server,
    child_environment,
    kill_if_running,
    start_serve,
    wait_until_healthy,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SEED_ARTICLE = "e7d05feceeac5a68"
# Where screenshots go when asked (e.g. docs/screenshots to refresh the README's).
SCREENSHOTS_VARIABLE = "EVIDENCE_LEDGER_SCREENSHOTS"


def chromium_executable() -> str | None:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    return shutil.which("chromium")


# Per module, not per session: while Playwright's sync API runs, its event loop is the thread's
# running loop, and pytest-asyncio cannot run the async tests a worker meets after this module.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_executable()
    if executable is None:
        reason = f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI is set, where .ci/run installs it")
        pytest.skip(f"{reason}: the browser tests need it")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP)
    try:
        yield context.new_page()
    finally:
        context.close()


@dataclass
class Reader:
    """The running service, its database, and the command line's tokens for it."""

    server: Server
    database: str
    # One client for the reader's life: each new one loads the CA bundle (about 25 ms of CPU).
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30.0))

    def url(self, path: str) -> str:
        return f"{self.server.base_url}{path}"

    def command(self, *arguments: str) -> str:
        result = subprocess.run(
            [str(CONSOLE_SCRIPT), *arguments, "--database", self.database],
            capture_output=True,
            text=True,
            timeout=60,
            env=child_environment(),
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout.strip()

    def token(self, role: str, *options: str) -> str:
        """A token as `token create --role ROLE [--rater ID] [--name NAME]` issues it, issued
        in this process (the command itself is tested in tests/test_token_commands.py)."""
        given = dict(zip(options[::2], options[1::2], strict=True))
        assert set(given) <= {"--rater", "--name"}, options

        async def issued() -> str:
            engine = create_engine(self.database)
            try:
                found = await issue_token(
                    engine, role, rater_id=given.get("--rater"), name=given.get("--name")
                )
                return found.token
            finally:
                await engine.dispose()

        # Playwright's loop is this thread's running loop: the token is issued in another.
        with ThreadPoolExecutor(max_workers=1) as thread:
            return thread.submit(asyncio.run, issued()).result(timeout=60)

    def graphql(self, query: str, token: str, **variables: object) -> dict[str, object]:
        """A change made behind the page's back, as another client would make it."""
        response = self.client.post(
            self.url("/graphql"),
            json={"query": query, "variables": variables},
            headers={"authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        assert "errors" not in body, body
        return body


@pytest.fixture(scope="session")
def sample_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file as `serve` leaves a new ledger (migrated, the sample article loaded),
    made once per worker: each reader starts on a copy of it."""
    path = tmp_path_factory.mktemp("sample") / "ledger.db"
    settings = Settings(database_url=f"sqlite:///{path}")
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, prepare_database(settings)).result(timeout=120)
    return path


def start_reader(tmp_path: Path, sample: Path, *options: str) -> Iterator[Reader]:
    shutil.copyfile(sample, tmp_path / "ledger.db")
    database = f"sqlite:///{tmp_path / 'ledger.db'}"
    server = start_serve(database, tmp_path / "serve.log", *options)
    try:
        wait_until_healthy(server)
        reader = Reader(server, database)
        with reader.client:
            yield reader
    finally:
        kill_if_running(server)


@pytest.fixture
def reader(tmp_path: Path, sample_ledger: Path) -> Iterator[Reader]:
    """A fresh service with the sample article: each test may change it."""
    yield from start_reader(tmp_path, sample_ledger)


@pytest.fixture(scope="module")
def shared_reader(
    tmp_path_factory: pytest.TempPathFactory, sample_ledger: Path
) -> Iterator[Reader]:
    """One service for a module whose tests change no article (they may issue tokens)."""
    yield from start_reader(tmp_path_factory.mktemp("reader"), sample_ledger)


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """The test run's screenshots: under the test's tmp folder, or where the variable says."""
    folder = Path(os.environ.get(SCREENSHOTS_VARIABLE) or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
