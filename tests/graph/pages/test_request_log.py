"""`serve` writes one log line per request, naming the operation, on uvicorn's fast parser."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from graph.http.pages.documents import ARTICLE_PAGE
from ledger.use_cases.sample import SAMPLE_ARTICLE_ID
from tests.e2e.test_connections import serving

LOG_TIMEOUT = 30.0


def _lines_naming(output: str, request_id: str) -> list[str]:
    return [line for line in output.splitlines() if request_id in line]


def test_each_request_is_logged_once_with_its_operation(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with serving(url, tmp_path / "serve.log") as server:
        answers = [
            httpx.post(
                f"{server.base_url}/graphql",
                json={"query": ARTICLE_PAGE, "variables": {"id": SAMPLE_ARTICLE_ID}},
            ),
            httpx.post(
                f"{server.base_url}/graphql", json={"query": "query Topics { topics { name } }"}
            ),
        ]
        deadline = time.monotonic() + LOG_TIMEOUT
        while time.monotonic() < deadline and not all(
            _lines_naming(server.output(), a.headers["x-request-id"]) for a in answers
        ):
            time.sleep(0.05)
        output = server.output()
    # uvicorn's access log ('"POST /graphql HTTP/1.1" 200') is not written: one line is enough.
    assert "HTTP/1.1" not in output, output
    logged = []
    for answer in answers:
        [line] = _lines_naming(output, answer.headers["x-request-id"])
        logged.append(json.loads(line))
    assert [(entry["method"], entry["path"], entry["status"]) for entry in logged] == [
        ("POST", "/graphql", 200)
    ] * 2
    assert [entry["operation"] for entry in logged] == ["ArticlePage", "Topics"]
    assert all(entry["ms"] >= 0 for entry in logged)
