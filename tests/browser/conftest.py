"""The browser tests: `serve` as a real process on a SQLite file with the sample article, and
Debian's Chromium driven by Playwright (never a browser Playwright downloads itself).

Without Chromium the tests are skipped, saying why; with ``CI`` set they fail instead, since
`.ci/run` installs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

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
        return self.command("token", "create", "--role", role, *options)

    def graphql(self, query: str, token: str, **variables: object) -> dict[str, object]:
        """A change made behind the page's back, as another client would make it."""
        response = httpx.post(
            self.url("/graphql"),
            json={"query": query, "variables": variables},
            headers={"authorization": f"Bearer {token}"},
            timeout=30.0,
        )
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        assert "errors" not in body, body
        return body


def start_reader(tmp_path: Path, *options: str) -> Iterator[Reader]:
    database = f"sqlite:///{tmp_path / 'ledger.db'}"
    server = start_serve(database, tmp_path / "serve.log", *options)
    try:
        wait_until_healthy(server)
        yield Reader(server, database)
    finally:
        kill_if_running(server)


@pytest.fixture
def reader(tmp_path: Path) -> Iterator[Reader]:
    """A fresh service with the sample article: each test may change it."""
    yield from start_reader(tmp_path)


@pytest.fixture(scope="module")
def shared_reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reader]:
    """One service for a module whose tests change no article (they may issue tokens)."""
    yield from start_reader(tmp_path_factory.mktemp("reader"))


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """The test run's screenshots: under the test's tmp folder, or where the variable says."""
    folder = Path(os.environ.get(SCREENSHOTS_VARIABLE) or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
