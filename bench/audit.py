"""Audit reads: an article's history over HTTP, the export and its offline verification,
each against a raw read of the same events table.

    python -m bench.audit [--quick] [--backend sqlite|postgresql|both] [--events N]
                          [--article-events N] [--rounds N] [--profile]

For each backend, a fresh database (a new SQLite file; a new PostgreSQL database on
``TEST_DATABASE_URL``/``DATABASE_URL``, or on a throwaway embedded server) is migrated and
filled with a valid ledger (``bench._audit_gen``: ``bench._ledger_gen``'s log with one hot
article stream of many raters' ratings, revisions, withdrawals and subscribers' comments),
then ``ledger.replay.rebuild.rebuild`` brings the views to the head, as ``serve`` expects. Then, in
the same run:

* raw: the events table in position order, keyset pages of 5000, SQLAlchemy Core on the
  benchmark's engine, rows fetched and nothing decoded (best of two runs, one before and one
  after the export);
* history (HTTP): ``evidence-ledger serve`` in its own process; an auditor (a token from
  ``ledger.use_cases.tokens.issue_token``) pages through the hot article's whole history with
  ``articleHistory(id, first: 100, after)``, every LedgerEvent field of the brief selected,
  one keep-alive connection, each page asked for when the last one is in (best of
  ``--rounds`` walks, after one untimed page);
* history (in-process): the same pages through ``ledger.audit.history.stream_page`` and
  ``actor_details`` in a snapshot each, i.e. the API's reads without GraphQL and HTTP;
* export: ``ledger.audit.export.export_ledger(store, file)`` of the whole ledger to a file;
* verify: ``ledger.audit.export.verify_export(lines)`` of that file, no database.

Every rate is events/s and is shown as a ratio to raw. ``--profile`` walks the history once
more against a server run under cProfile and prints where its time goes. ``--quick`` (CI):
3,000 events with a 300-event article, one walk.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import _postgres
from bench._audit_gen import HotGenerated, generate_with_hot_article
from bench._ledger_gen import check_views
from bench._report import ROOT, commit, log, machine
from ledger.audit import history
from ledger.audit.export import export_ledger, verify_export
from ledger.domain.articles import stream_id
from ledger.replay.rebuild import rebuild
from ledger.store import migrate
from ledger.store.db import create_engine, snapshot
from ledger.store.sql_store import SQLEventStore
from ledger.store.tables import events
from ledger.use_cases.tokens import issue_token

HOST = "127.0.0.1"
RAW_PAGE = 5000
HISTORY_PAGE = 100


@dataclass(frozen=True)
class Sizes:
    events: int
    article_events: int
    rounds: int  # timed walks of the history over HTTP; the best counts


FULL = Sizes(1_000_000, 10_000, 3)
QUICK = Sizes(3_000, 300, 1)

HISTORY_QUERY = """
query History($id: ID!, $first: Int!, $after: String) {
  articleHistory(id: $id, first: $first, after: $after) {
    __typename
    ... on LedgerEventConnection {
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          position streamVersion type recordedAt
          actor { id role name discipline }
          idempotencyKey hash previousHash payload
          data { __typename }
        }
      }
    }
    ... on NotAllowed { message }
  }
}
"""


# -- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    events: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")


@dataclass(frozen=True)
class Walk:
    """One walk through an article's whole history, page by page."""

    events: int
    latencies: list[float]  # seconds, per page, in order
    seconds: float  # wall time of the whole walk
    client_cpu: float  # the walker's own CPU seconds
    server_cpu: float | None  # the server process's CPU seconds over the walk (HTTP only)

    @property
    def pages(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> Rate:
        return Rate(self.events, self.seconds)

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@dataclass
class BackendResult:
    backend: str
    hot: HotGenerated
    views_seconds: float
    database_mib: float
    raw: list[Rate] = field(default_factory=list)
    export: Rate | None = None
    export_mib: float = 0.0
    verify: Rate | None = None
    http: list[Walk] = field(default_factory=list)
    in_process: Walk | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def best_raw(self) -> Rate:
        return max(self.raw, key=lambda r: r.per_second)

    @property
    def best_http(self) -> Walk:
        return min(self.http, key=lambda w: w.seconds)


# -- the database -----------------------------------------------------------------------------


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="ledger-audit-") as directory:
        yield f"sqlite:///{directory}/ledger.db"


def database_factory(backend: str, server: str | None) -> Callable[[], AbstractContextManager[str]]:
    if backend == "sqlite":
        return sqlite_database
    assert server is not None
    return lambda: _postgres.fresh_database(server)


@dataclass(frozen=True)
class Prepared:
    hot: HotGenerated
    views_seconds: float
    database_mib: float
    token: str
    problems: list[str]


async def prepare(url: str, sizes: Sizes) -> Prepared:
    """Migrate, generate, bring the views to the head, settle, and issue an auditor token."""
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        hot = await generate_with_hot_article(engine, sizes.events, sizes.article_events)
        generated = hot.generated
        log(
            f"  generated {generated.events:,} events in {generated.seconds:.1f} s"
            f" ({generated.insert_seconds:.1f} s of it inserting); article {hot.article_id}:"
            f" {hot.article_events:,} events"
        )
        log("  its mix: " + ", ".join(f"{k} {n:,}" for k, n in hot.article_types.most_common()))
        started = time.perf_counter()
        await rebuild(SQLEventStore(engine))
        views_seconds = time.perf_counter() - started
        log(f"  views rebuilt to the head in {views_seconds:.1f} s")
        problems = [f"views: {p}" for p in await check_views(engine, generated.expected)]
        async with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.exec_driver_sql("VACUUM (ANALYZE)")
                size = await conn.scalar(text("SELECT pg_database_size(current_database())"))
            else:
                await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                pages = await conn.scalar(text("PRAGMA page_count"))
                page_size = await conn.scalar(text("PRAGMA page_size"))
                size = int(pages or 0) * int(page_size or 0)
        token = (await issue_token(engine, "auditor")).token
        return Prepared(hot, views_seconds, int(size or 0) / 2**20, token, problems)
    finally:
        await engine.dispose()


# -- measurements in this process -------------------------------------------------------------


async def raw_read(engine: AsyncEngine) -> Rate:
    """The events table in position order, keyset pages of RAW_PAGE, rows fetched only."""
    count, after = 0, 0
    started = time.perf_counter()
    async with engine.connect() as conn:
        while True:
            query = select(events).where(events.c.position > after).order_by(events.c.position)
            rows = (await conn.execute(query.limit(RAW_PAGE))).all()
            if not rows:
                break
            count += len(rows)
            after = rows[-1].position
    return Rate(count, time.perf_counter() - started)


async def export(engine: AsyncEngine, path: Path) -> Rate:
    store = SQLEventStore(engine)
    started = time.perf_counter()
    with path.open("w", encoding="utf-8") as out:
        report = await export_ledger(store, out)
    return Rate(report.events, time.perf_counter() - started)


def verify(path: Path) -> tuple[Rate, str | None]:
    started = time.perf_counter()
    with path.open(encoding="utf-8") as lines:
        report = verify_export(lines)
    seconds = time.perf_counter() - started
    problem = None if report.ok else f"verify_export: line {report.bad_line}: {report.reason}"
    return Rate(report.events, seconds), problem


async def walk_in_process(engine: AsyncEngine, article_id: str) -> Walk:
    """The API's reads of each page (``stream_page`` + ``actor_details`` in one snapshot),
    with no GraphQL and no HTTP."""
    store, stream = SQLEventStore(engine), stream_id(article_id)
    latencies: list[float] = []
    count, after, more = 0, 0, True
    cpu, started = time.process_time(), time.perf_counter()
    while more:
        began = time.perf_counter()
        async with snapshot(engine) as conn:
            entries, more = await history.stream_page(
                conn, store, stream, after_version=after, first=HISTORY_PAGE
            )
            await history.actor_details(conn, [e.event.metadata.actor.id for e in entries])
        latencies.append(time.perf_counter() - began)
        count += len(entries)
        after = entries[-1].event.stream_version if entries else after
    return Walk(count, latencies, time.perf_counter() - started, time.process_time() - cpu, None)


async def measure_in_process(url: str, article_id: str, export_path: Path) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:  # connect and warm the pool outside the timing
            await conn.execute(text("SELECT 1"))
        first_raw = await raw_read(engine)
        log(f"  raw read      {first_raw.per_second:>10,.0f} ev/s  {first_raw.seconds:6.1f} s")
        exported = await export(engine, export_path)
        log(f"  export        {exported.per_second:>10,.0f} ev/s  {exported.seconds:6.1f} s")
        second_raw = await raw_read(engine)
        log(f"  raw read      {second_raw.per_second:>10,.0f} ev/s  {second_raw.seconds:6.1f} s")
        await walk_in_process(engine, article_id)  # warms this path's statements
        walked = await walk_in_process(engine, article_id)
        log(f"  history, in-process {walked.rate.per_second:>10,.0f} ev/s  {walked.seconds:6.2f} s")
        return {"raw": [first_raw, second_raw], "export": exported, "in_process": walked}
    finally:
        await engine.dispose()


# -- the server and the walk over HTTP --------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a process, from /proc (None where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Server:
    url: str
    pid: int
    head_position: int


def _serve_command(url: str, port: int, profile_out: str | None) -> list[str]:
    arguments = ["serve", "--database", url, "--host", HOST, "--port", str(port)]
    if profile_out is not None:
        return [
            sys.executable,
            "-m",
            "cProfile",
            "-o",
            profile_out,
            "-m",
            "graph.cli.main",
            *arguments,
        ]
    script = Path(sys.executable).with_name("evidence-ledger")
    if script.exists():
        return [str(script), *arguments]
    return [sys.executable, "-m", "graph.cli.main", *arguments]


@contextmanager
def running_server(
    url: str, log_path: Path, *, profile_out: str | None = None, timeout: float = 300.0
) -> Iterator[Server]:
    """``evidence-ledger serve`` on a free loopback port until /healthz answers; SIGTERM at
    the end, whatever happened."""
    port = free_port()
    with log_path.open("w", encoding="utf-8") as server_log:
        process = subprocess.Popen(
            _serve_command(url, port, profile_out),
            cwd=ROOT,
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://{HOST}:{port}"
            deadline = time.perf_counter() + timeout
            while True:
                if process.poll() is not None:
                    raise RuntimeError(
                        f"the server exited with {process.returncode}:\n{_tail(log_path)}"
                    )
                try:
                    answer = httpx.get(f"{base}/healthz", timeout=5.0, trust_env=False)
                    if answer.status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"/healthz did not answer in {timeout:.0f} s")
                time.sleep(0.1)
            yield Server(base, process.pid, int(answer.json()["position"]))
        finally:
            stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _page(
    client: httpx.Client, article_id: str, after: str | None
) -> tuple[list[dict[str, Any]], bool, str | None]:
    variables = {"id": article_id, "first": HISTORY_PAGE, "after": after}
    response = client.post("/graphql", json={"query": HISTORY_QUERY, "variables": variables})
    answer = response.json() if response.status_code == 200 else None
    if not isinstance(answer, dict) or answer.get("errors") or not answer.get("data"):
        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:500]}")
    result = answer["data"]["articleHistory"]
    if result["__typename"] != "LedgerEventConnection":
        raise RuntimeError(f"articleHistory answered {result}")
    info = result["pageInfo"]
    return [edge["node"] for edge in result["edges"]], info["hasNextPage"], info["endCursor"]


def _check_walk(nodes: list[dict[str, Any]], expected: int) -> list[str]:
    problems = []
    versions = [node["streamVersion"] for node in nodes]
    if versions != list(range(1, expected + 1)):
        problems.append(f"history: {len(nodes)} events, versions not 1..{expected} in order")
    untyped = [n["position"] for n in nodes if (n["data"] or {}).get("__typename") is None]
    mistyped = [
        n["position"]
        for n in nodes
        if n["data"] is not None and n["data"]["__typename"] != f"{n['type']}Data"
    ]
    if untyped or mistyped:
        problems.append(f"history: data untyped at {untyped[:3]}, mistyped at {mistyped[:3]}")
    unnamed = [
        n["position"] for n in nodes if n["actor"]["role"] == "rater" and not n["actor"]["name"]
    ]
    if unnamed:
        problems.append(f"history: raters without a name or discipline at {unnamed[:3]}")
    return problems


def walk_http(server: Server, token: str, article_id: str, expected: int) -> tuple[Walk, list[str]]:
    headers = {"authorization": f"Bearer {token}"}
    with httpx.Client(
        base_url=server.url, headers=headers, timeout=300.0, trust_env=False
    ) as client:
        _page(client, article_id, None)  # untimed: opens the connection, warms the server
        nodes: list[dict[str, Any]] = []
        latencies: list[float] = []
        after: str | None = None
        more = True
        server_cpu = process_cpu(server.pid)
        cpu, started = time.process_time(), time.perf_counter()
        while more:
            began = time.perf_counter()
            page, more, after = _page(client, article_id, after)
            latencies.append(time.perf_counter() - began)
            nodes += page
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        server_after = process_cpu(server.pid)
    used = None if server_cpu is None or server_after is None else server_after - server_cpu
    return Walk(len(nodes), latencies, seconds, cpu, used), _check_walk(nodes, expected)


def profile_walk(url: str, token: str, article_id: str, expected: int, directory: Path) -> None:
    """One more walk against a server under cProfile; print where the server's time goes."""
    profile_out = str(directory / "serve.prof")
    with running_server(url, directory / "serve-profiled.log", profile_out=profile_out) as server:
        walk, _ = walk_http(server, token, article_id, expected)
    out = io.StringIO()
    stats = pstats.Stats(profile_out, stream=out)
    stats.strip_dirs().sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(50)
    print(
        f"\n== cProfile of the server over one history walk ({walk.pages} pages,"
        f" {walk.seconds:.2f} s profiled; the whole server run, start-up included)"
    )
    print(out.getvalue())


def profile_in_process(url: str, article_id: str) -> None:
    """cProfile of the in-process reads, for comparison with the server's profile."""
    profiler = cProfile.Profile()

    async def work() -> None:
        engine = create_engine(url)
        try:
            await walk_in_process(engine, article_id)
            profiler.enable()
            await walk_in_process(engine, article_id)
            profiler.disable()
        finally:
            await engine.dispose()

    asyncio.run(work())
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(15)
    print("\n== cProfile of the in-process history reads (stream_page + actor_details)")
    print(out.getvalue())


# -- one backend ------------------------------------------------------------------------------


def run_backend(backend: str, url: str, sizes: Sizes, *, profile: bool) -> BackendResult:
    log(f"{backend}: generating {sizes.events:,} events, {sizes.article_events:,} on one article")
    prepared = asyncio.run(prepare(url, sizes))
    hot = prepared.hot
    result = BackendResult(
        backend, hot, prepared.views_seconds, prepared.database_mib, problems=prepared.problems
    )
    with tempfile.TemporaryDirectory(prefix="ledger-audit-") as scratch:
        directory = Path(scratch)
        export_path = directory / "ledger.jsonl"
        measured = asyncio.run(measure_in_process(url, hot.article_id, export_path))
        result.raw, result.export = measured["raw"], measured["export"]
        result.in_process = measured["in_process"]
        result.export_mib = export_path.stat().st_size / 2**20
        checked, problem = verify(export_path)
        result.verify = checked
        log(f"  verify        {checked.per_second:>10,.0f} ev/s  {checked.seconds:6.1f} s")
        if problem is not None:
            result.problems.append(problem)
        for name, rate in (("export", result.export), ("verify", result.verify)):
            if rate.events != hot.generated.events:
                result.problems.append(f"{name}: {rate.events} events of {hot.generated.events}")
        export_path.unlink()
        with running_server(url, directory / "serve.log") as server:
            if server.head_position != hot.generated.events:
                result.problems.append(f"serve: head at {server.head_position}")
            for round_ in range(1, sizes.rounds + 1):
                walk, problems = walk_http(
                    server, prepared.token, hot.article_id, hot.article_events
                )
                result.http.append(walk)
                result.problems += [p for p in problems if p not in result.problems]
                server_cpu = "-" if walk.server_cpu is None else f"{walk.server_cpu:.2f}"
                log(
                    f"  history, HTTP, walk {round_}: {walk.seconds:.2f} s, {walk.pages} pages,"
                    f" {walk.rate.per_second:,.0f} ev/s, server CPU {server_cpu} s,"
                    f" client CPU {walk.client_cpu:.2f} s"
                )
        if profile:
            profile_in_process(url, hot.article_id)
            profile_walk(url, prepared.token, hot.article_id, hot.article_events, directory)
    for problem in result.problems:
        log(f"  PROBLEM: {problem}")
    return result


# -- the report -------------------------------------------------------------------------------


def table(result: BackendResult) -> list[str]:
    raw = result.best_raw.per_second
    generated = result.hot.generated
    walk, local = result.best_http, result.in_process
    assert result.export is not None
    assert result.verify is not None
    assert local is not None
    title = (
        f"{result.backend}: {generated.events:,} events ({result.database_mib:,.0f} MiB),"
        f" article {result.hot.article_id} with {result.hot.article_events:,};"
        f" generated in {generated.seconds:.0f} s, views rebuilt in {result.views_seconds:.0f} s"
    )
    header = (
        f"{'measurement':<30} {'events':>9} {'seconds':>8} {'events/s':>10} {'pages/s':>8}"
        f" {'vs raw':>7}"
    )
    rows = [
        ("raw read (Core, keyset 5000)", result.best_raw, None),
        (f"history over HTTP (first {HISTORY_PAGE})", walk.rate, walk.pages),
        ("history in-process (reads)", local.rate, local.pages),
        ("export_ledger to a file", result.export, None),
        ("verify_export of the file", result.verify, None),
    ]
    lines = [title, header, "-" * len(header)]
    for name, rate, pages in rows:
        pages_rate = "-" if pages is None else f"{pages / rate.seconds:,.1f}"
        lines.append(
            f"{name:<30} {rate.events:>9,} {rate.seconds:>8.2f} {rate.per_second:>10,.0f}"
            f" {pages_rate:>8} {rate.per_second / raw:>7.3f}"
        )
    server_cpu = "-" if walk.server_cpu is None else f"{walk.server_cpu:.2f} s"
    walks = ", ".join(f"{w.seconds:.2f}" for w in result.http)
    lines += [
        f"history page latency: median {statistics.median(walk.latencies) * 1000:.1f} ms,"
        f" p90 {walk.percentile(0.9) * 1000:.1f} ms, max {max(walk.latencies) * 1000:.1f} ms;"
        f" in-process median {statistics.median(local.latencies) * 1000:.1f} ms",
        f"history walk: server CPU {server_cpu}, client CPU {walk.client_cpu:.2f} s of"
        f" {walk.seconds:.2f} s wall; walks (s): {walks}",
        f"export file {result.export_mib:,.0f} MiB; raw runs (ev/s): "
        + ", ".join(f"{r.per_second:,.0f}" for r in result.raw),
        "checks: " + ("ok" if not result.problems else "; ".join(result.problems)),
    ]
    return lines


LEGEND = [
    "raw: select(events) in position order, keyset pages of 5000, rows fetched, no decoding",
    "  (best of two runs, before and after the export), on the benchmark's own engine.",
    "history over HTTP: evidence-ledger serve; an auditor pages through the article's whole",
    "  history with articleHistory(id, first: 100, after), every LedgerEvent field of the",
    "  brief selected, one keep-alive connection, one page at a time (best walk; one untimed",
    "  page first). history in-process: the same pages read with ledger.audit.history.stream_page",
    "  + actor_details in a snapshot each: the API's database work without GraphQL or HTTP.",
    "export: ledger.audit.export.export_ledger(store, file); verify: verify_export(lines) of",
    "  that file, no database. vs raw: events/s as a share of the raw read's.",
]


# -- the command ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.audit", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="3,000 events, for CI")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--events", type=int, help="ledger size")
    parser.add_argument("--article-events", type=int, help="events of the hot article")
    parser.add_argument("--rounds", type=int, help="timed history walks over HTTP")
    parser.add_argument("--profile", action="store_true", help="cProfile one more walk")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    base = QUICK if args.quick else FULL
    sizes = Sizes(
        args.events or base.events,
        args.article_events or base.article_events,
        args.rounds or base.rounds,
    )
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    started, code_at_start = time.perf_counter(), commit()
    results: list[BackendResult] = []
    postgres_version = None
    for backend in backends:
        server_context: AbstractContextManager[str | None] = (
            _postgres.postgres_server() if backend == "postgresql" else _no_server()
        )
        with server_context as server:
            if server is not None:
                postgres_version = asyncio.run(_postgres.version(server))
            with database_factory(backend, server)() as url:
                results.append(run_backend(backend, url, sizes, profile=args.profile))
    print(f"ledger at commit {code_at_start}")
    if commit() != code_at_start:
        print(f"WARNING: the code changed during the run (it began at {code_at_start})")
    print("\n".join(machine(postgres_version)))
    print(
        f"a fresh database per backend; {sizes.events:,} events, one article with"
        f" {sizes.article_events:,}; {sizes.rounds} timed history walk(s) over HTTP."
    )
    for result in results:
        print()
        print("\n".join(table(result)))
    print()
    print("\n".join(LEGEND))
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0 if all(not r.problems for r in results) else 1


@contextmanager
def _no_server() -> Iterator[str | None]:
    yield None


if __name__ == "__main__":
    sys.exit(main())
