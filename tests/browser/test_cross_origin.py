"""A page on an origin named by `serve --cors-origin` reads the API from Chromium; another
origin's page is refused by the browser itself."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import SEED_ARTICLE, Reader, start_reader
from tests.e2e.test_serve import LOOPBACK, free_loopback_port

# Both on loopback, as the API is: only the port (part of the origin) differs. The pages are
# served for real (not faked by the test's browser), so Chromium sees where they came from.
ALLOWED_PORT, NOT_ALLOWED_PORT = free_loopback_port(), free_loopback_port()
ALLOWED = f"http://{LOOPBACK}:{ALLOWED_PORT}"

# A front-end's request: JSON with a bearer-less read, so the browser preflights it.
FRONT_END = """<!doctype html><html lang="en"><title>A front-end</title><script>
window.answer = fetch(%(api)s + "/graphql", {
  method: "POST",
  headers: {"content-type": "application/json", "graphql-require-preflight": "1"},
  body: JSON.stringify({query: %(query)s}),
}).then(
  async (response) => ({
    studyType: (await response.json()).data.article.studyType,
    requestId: response.headers.get("x-request-id"),
  }),
  (error) => ({refused: error.name + ": " + error.message}),
);
</script></html>"""


@pytest.fixture
def reader(tmp_path: Path, sample_ledger: Path) -> Iterator[Reader]:
    yield from start_reader(tmp_path, sample_ledger, "--cors-origin", ALLOWED)


def serve_front_end(port: int, html: str) -> ThreadingHTTPServer:
    page = html.encode()

    class FrontEnd(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((LOOPBACK, port), FrontEnd)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def front_end_answer(page: Page, reader: Reader, port: int) -> dict[str, str]:
    query = json.dumps(f'{{ article(id: "{SEED_ARTICLE}") {{ studyType }} }}')
    front_end = serve_front_end(
        port, FRONT_END % {"api": json.dumps(reader.server.base_url), "query": query}
    )
    try:
        page.goto(f"http://{LOOPBACK}:{port}/")
        answer: dict[str, str] = page.evaluate("window.answer")
    finally:
        front_end.shutdown()
        front_end.server_close()
    return answer


def test_a_page_on_an_allowed_origin_reads_the_api(page: Page, reader: Reader) -> None:
    answer = front_end_answer(page, reader, ALLOWED_PORT)

    assert answer.get("studyType") == "Systematic review", answer
    assert answer["requestId"], "X-Request-ID is exposed to the page"


def test_a_page_on_another_origin_is_refused_by_the_browser(page: Page, reader: Reader) -> None:
    answer = front_end_answer(page, reader, NOT_ALLOWED_PORT)

    assert answer == {"refused": "TypeError: Failed to fetch"}
