"""Rebuild speed: ``ledger.replay.rebuild.rebuild`` against a raw read of the same log.

    python -m bench.rebuild [--quick] [--backend sqlite|postgresql|both] [--events N [N ...]]
                            [--verify] [--profile]

For each backend and size, a valid ledger is generated straight into a fresh database
(``bench._ledger_gen``), then measured, each measurement in a fresh ``python`` process so its
peak RSS (``ru_maxrss``) belongs to that measurement alone:

* raw: the events table read in position order, keyset pages of 5000 through SQLAlchemy Core
  on the same kind of engine, ``json.loads`` of each payload (best of two runs);
* decode: the log read as a rebuild reads it (``ledger.replay.windows.read_window``: windows of
  ``WINDOW`` events, each decoded to a fact with its domain event), without projecting;
* rebuild: ``ledger.replay.rebuild.rebuild(SQLEventStore(engine))``; afterwards the live views are
  checked against the generator's running totals.

Targets the project set: rebuild at least 30% of the raw read rate, and a peak memory that
does not grow with the ledger. ``--quick`` (CI) runs 2,000 events and proves the generated
ledger: the chain verifies, and the rebuilt views equal a replay (``verify_projections``).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import platform
import pstats
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import asdict, dataclass
from multiprocessing import forkserver
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import _postgres
from bench._ledger_gen import Generated, check_views, generate, validate
from bench._report import ROOT, commit, cpu_model, log
from ledger.replay.processes import PARALLEL_FROM
from ledger.replay.rebuild import rebuild
from ledger.replay.windows import WINDOW, read_window
from ledger.store import migrate
from ledger.store.db import create_engine
from ledger.store.sql_store import SQLEventStore
from ledger.store.tables import events

FULL_SIZES = (100_000, 1_000_000)
QUICK_SIZES = (2_000,)
QUICK_PARTITIONS = 2  # so CI's quick run takes the path of a large ledger too
VALIDATE_EVENTS = 5_000  # the full run first proves a ledger of this size, per backend
PAGE = 5000
TARGET_RATIO = 0.30
TARGET_FROM = 1_000_000  # the speed target is set for a ledger of at least this many events
# "Does not grow with the ledger": the largest size may use at most this much more than the
# smallest (allocator and SQLAlchemy caches settle at a few MiB either way).
MEMORY_SLACK = 1.25
MEMORY_SLACK_MIB = 16.0
KINDS = ("raw", "decode", "rebuild")


# -- measurements, each in a process of its own ------------------------------------------


@dataclass(frozen=True)
class Measurement:
    kind: str
    events: int
    seconds: float
    rss_before_kib: int  # VmRSS just before the work began
    peak_kib: int  # ru_maxrss at the end: the process's high-water mark
    tail_seconds: float = 0.0  # rebuild: from the last window replayed to the end (the swap)
    partitions: int = 1  # rebuild: the processes that shared the replay
    workers_peak_kib: int = 0  # rebuild: ru_maxrss of the largest other replay process

    @property
    def workers_peak_mib(self) -> float:
        return self.workers_peak_kib / 1024

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    @property
    def growth_mib(self) -> float:
        return max(0, self.peak_kib - self.rss_before_kib) / 1024


def _vmrss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def _raw_read(engine: AsyncEngine) -> int:
    count, after = 0, 0
    async with engine.connect() as conn:
        while True:
            query = select(events).where(events.c.position > after).order_by(events.c.position)
            rows = (await conn.execute(query.limit(PAGE))).all()
            if not rows:
                return count
            for row in rows:
                json.loads(row.payload)
            count += len(rows)
            after = rows[-1].position


async def _decode(engine: AsyncEngine) -> int:
    store = SQLEventStore(engine)
    count, after = 0, 0
    while window := await read_window(store, after):
        count += len(window)
        after = window[-1].position
    return count


_last_window = [0.0]  # when the rebuild reported its last replayed window


def _window_done(_events: int) -> None:
    _last_window[0] = time.perf_counter()


_partitions: list[int | None] = [None]  # the child's --partitions (None: the rebuild decides)
_used_partitions = [1]  # what the measured rebuild reported


async def _rebuild(engine: AsyncEngine) -> int:
    store = SQLEventStore(engine)
    report = await rebuild(store, progress=_window_done, partitions=_partitions[0])
    _used_partitions[0] = report.partitions
    return report.events


WORK: dict[str, Callable[[AsyncEngine], Awaitable[int]]] = {
    "raw": _raw_read,
    "decode": _decode,
    "rebuild": _rebuild,
}


async def _measured(kind: str, url: str) -> tuple[int, float, float, int]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:  # connect and warm the pool outside the timing
            await conn.execute(text("SELECT 1"))
        before = _vmrss_kib()
        started = _last_window[0] = time.perf_counter()
        count = await WORK[kind](engine)
        ended = time.perf_counter()
        tail = ended - _last_window[0] if kind == "rebuild" else 0.0
        return count, ended - started, tail, before
    finally:
        await engine.dispose()


def child(kind: str, url: str, profile_out: str | None, partitions: int | None) -> None:
    _partitions[0] = partitions
    profiler = cProfile.Profile() if profile_out else None
    if profiler is not None:
        profiler.enable()
    count, seconds, tail, before = asyncio.run(_measured(kind, url))
    if profiler is not None and profile_out:
        profiler.disable()
        profiler.dump_stats(profile_out)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    # The replay processes are the fork server's children: it waits for them, and once it
    # is stopped and waited for here, their peak counts among this process's children.
    stop_fork_server = getattr(forkserver._forkserver, "_stop", None)
    if stop_fork_server is not None:
        stop_fork_server()
    workers_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    parts = _used_partitions[0] if kind == "rebuild" else 1
    measured = Measurement(kind, count, seconds, before, peak, tail, parts, workers_peak)
    print("RESULT " + json.dumps(asdict(measured)))


def measure(
    kind: str, url: str, *, profile_out: str | None = None, partitions: int | None = None
) -> Measurement:
    command = [sys.executable, "-m", "bench.rebuild", "--child", kind, "--url", url]
    if profile_out:
        command += ["--profile-out", profile_out]
    if partitions is not None:
        command += ["--partitions", str(partitions)]
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return Measurement(**json.loads(line.removeprefix("RESULT ")))
    raise RuntimeError(f"the {kind} child printed no result: {done.stdout!r}")


# -- databases ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SizeResult:
    backend: str
    generated: Generated
    prepare_seconds: float  # VACUUM ANALYZE on PostgreSQL, a WAL checkpoint on SQLite
    database_mib: float
    raw: Measurement
    decode: Measurement
    rebuild: Measurement
    views_ok: bool


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="ledger-rebuild-") as directory:
        yield f"sqlite:///{directory}/ledger.db"


def database_factory(backend: str, server: str | None) -> Callable[[], AbstractContextManager[str]]:
    if backend == "sqlite":
        return sqlite_database
    assert server is not None
    return lambda: _postgres.fresh_database(server)


async def fill(url: str, size: int) -> tuple[Generated, float, float]:
    """Migrate, generate, and settle the database; returns its size in MiB too."""
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        generated = await generate(engine, size)
        started = time.perf_counter()
        if engine.dialect.name == "postgresql":
            async with engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.exec_driver_sql("VACUUM (ANALYZE) events")
                size_bytes = await conn.scalar(text("SELECT pg_database_size(current_database())"))
        else:
            async with engine.connect() as conn:
                await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                page_count = await conn.scalar(text("PRAGMA page_count"))
                page_size = await conn.scalar(text("PRAGMA page_size"))
                size_bytes = int(page_count or 0) * int(page_size or 0)
        return generated, time.perf_counter() - started, int(size_bytes or 0) / 2**20
    finally:
        await engine.dispose()


async def _with_engine(url: str, work: Callable[[AsyncEngine], Awaitable[None]]) -> None:
    engine = create_engine(url)
    try:
        await work(engine)
    finally:
        await engine.dispose()


def prove(url: str, size: int) -> None:
    """Generate ``size`` events and assert the chain and the rebuilt views hold (CI's guard)."""
    started = time.perf_counter()
    generated, _, _ = asyncio.run(fill(url, size))
    asyncio.run(_with_engine(url, lambda engine: validate(engine, generated)))
    log(
        f"  proved {generated.events:,} generated events: chain ok, rebuild == replay, views =="
        f" generator totals ({time.perf_counter() - started:.1f} s)"
    )


def run_size(
    backend: str, url: str, size: int, *, verify: bool, profile: bool, partitions: int | None
) -> SizeResult:
    log(f"{backend}: generating {size:,} events")
    generated, prepare_seconds, database_mib = asyncio.run(fill(url, size))
    log(
        f"  generated in {generated.seconds:.1f} s ({generated.events_per_second:,.0f} ev/s,"
        f" {generated.insert_seconds:.1f} s of it inserting), settled in"
        f" {prepare_seconds:.1f} s, {database_mib:,.0f} MiB"
    )
    mix = ", ".join(f"{name} {count:,}" for name, count in generated.types.most_common())
    log(f"  mix: {mix}")
    results: dict[str, Measurement] = {}
    for kind in ("raw", "raw", "decode", "rebuild"):  # the first raw read warms the caches
        result = measure(kind, url, partitions=partitions if kind == "rebuild" else None)
        assert result.events == generated.events, (kind, result.events, generated.events)
        if kind not in results or result.rate > results[kind].rate:
            results[kind] = result
        swap = (
            f", {result.tail_seconds:.1f} s of it swapping; {result.partitions} process(es),"
            f" the largest other at {result.workers_peak_mib:.0f} MiB"
            if kind == "rebuild"
            else ""
        )
        log(
            f"  {kind:<8} {result.rate:>10,.0f} ev/s  {result.seconds:7.1f} s"
            f"  peak RSS growth {result.growth_mib:6.1f} MiB{swap}"
        )
    problems: list[str] = []

    async def check(engine: AsyncEngine) -> None:
        problems.extend(await check_views(engine, generated.expected))

    asyncio.run(_with_engine(url, check))
    if problems:
        log(f"  VIEWS DIFFER from the generator's totals: {problems}")
    if verify:
        prove_started = time.perf_counter()
        asyncio.run(_with_engine(url, lambda engine: validate(engine, generated)))
        log(
            f"  verified: chain ok, rebuild == replay ({time.perf_counter() - prove_started:.1f} s)"
        )
    if profile:
        print_profile(backend, url, size, partitions)
    return SizeResult(
        backend,
        generated,
        prepare_seconds,
        database_mib,
        results["raw"],
        results["decode"],
        results["rebuild"],
        views_ok=not problems,
    )


def print_profile(backend: str, url: str, size: int, partitions: int | None) -> None:
    """The calling process's profile (the other partitions' processes are not profiled)."""
    with tempfile.TemporaryDirectory(prefix="ledger-profile-") as directory:
        path = f"{directory}/rebuild.prof"
        result = measure("rebuild", url, profile_out=path, partitions=partitions)
        out = io.StringIO()
        stats = pstats.Stats(path, stream=out).strip_dirs()
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats(40)
    print(f"\n== cProfile of rebuild, {backend}, {size:,} events ({result.seconds:.1f} s profiled)")
    print(out.getvalue())


# -- the report -----------------------------------------------------------------------------


def machine(postgres_version: str | None) -> list[str]:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return [
        f"ledger at commit {commit()}",
        f"machine: {os.cpu_count()} cores, {cpu_model()}, {memory:.0f} GiB, {platform.platform()}",
        f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version},"
        f" PostgreSQL {postgres_version or '(not run)'}",
    ]


HEADER = (
    f"{'backend':<11} {'events':>9} {'gen s':>6} {'gen ev/s':>9} {'db MiB':>7}"
    f" {'raw ev/s':>9} {'decode ev/s':>11} {'rebuild ev/s':>12} {'rebuild s':>9}"
    f" {'swap s':>6} {'procs':>5} {'rebuild/raw':>11} {'RSS+ raw':>8} {'RSS+ rebuild':>12}"
    f" {'RSS other':>9} {'views':>5}"
)


def table(results: list[SizeResult]) -> list[str]:
    lines = [HEADER, "-" * len(HEADER)]
    for r in results:
        ratio = r.rebuild.rate / r.raw.rate
        lines.append(
            f"{r.backend:<11} {r.generated.events:>9,} {r.generated.seconds:>6.1f}"
            f" {r.generated.events_per_second:>9,.0f} {r.database_mib:>7,.0f}"
            f" {r.raw.rate:>9,.0f} {r.decode.rate:>11,.0f} {r.rebuild.rate:>12,.0f}"
            f" {r.rebuild.seconds:>9.1f} {r.rebuild.tail_seconds:>6.1f}"
            f" {r.rebuild.partitions:>5}"
            f" {f'{ratio:.2f}' + ('' if ratio >= TARGET_RATIO else ' !'):>11}"
            f" {r.raw.growth_mib:>8.1f} {r.rebuild.growth_mib:>12.1f}"
            f" {r.rebuild.workers_peak_mib:>9.0f}"
            f" {'ok' if r.views_ok else 'BAD':>5}"
        )
    return [*lines, *LEGEND, *verdicts(results)]


LEGEND = [
    "gen: generating and bulk-inserting the ledger (domain-decided events, sealed and chained).",
    "raw: keyset pages of 5000 via SQLAlchemy Core + json.loads of each payload (best of 2).",
    f"decode: the rebuild's own read, windows of {WINDOW} events decoded to domain events.",
    "rebuild: ledger.replay.rebuild.rebuild(store) into fresh tables, then the swap; swap s:",
    "  the time from the last replayed window to the end (last writes, catch-up, swap, drop).",
    "procs: processes sharing the rebuild's replay (partitions of the articles, one per core).",
    "RSS+: peak RSS growth of the measuring process (ru_maxrss - VmRSS before the work), MiB;",
    "  RSS other: peak RSS of the largest other replay process, whole (interpreter included).",
    "views: the rebuilt views hold the generator's totals (rows, ratings, hidden, score sums).",
    f"'!' marks a rebuild under {TARGET_RATIO:.0%} of raw (the target is set for a ledger of"
    f" at least {TARGET_FROM:,} events).",
]


def verdicts(results: list[SizeResult]) -> list[str]:
    lines = []
    for backend in dict.fromkeys(r.backend for r in results):
        mine = sorted(
            (r for r in results if r.backend == backend), key=lambda r: r.generated.events
        )
        ratios = ", ".join(
            f"{r.generated.events:,}: {r.rebuild.rate / r.raw.rate:.0%}" for r in mine
        )
        # Judged only at the size the target is set for: a quick run's ledger is all
        # start-up, and says nothing either way.
        judged = [r for r in mine if r.generated.events >= TARGET_FROM]
        met = all(r.rebuild.rate >= TARGET_RATIO * r.raw.rate for r in judged)
        verdict = ("met" if met else "MISSED") if judged else f"not judged under {TARGET_FROM:,}"
        lines.append(f"{backend}: rebuild/raw {ratios} -> {verdict}")
        if len(mine) > 1:
            small, large = mine[0], mine[-1]
            # Memory of the replay: the calling process's growth, and the other processes whole.
            small_mib = small.rebuild.growth_mib + small.rebuild.workers_peak_mib
            large_mib = large.rebuild.growth_mib + large.rebuild.workers_peak_mib
            limit = small_mib * MEMORY_SLACK + MEMORY_SLACK_MIB
            flat = large_mib <= limit
            lines.append(
                f"{backend}: rebuild peak memory {small_mib:.0f} MiB at"
                f" {small.generated.events:,} -> {large_mib:.0f} MiB at"
                f" {large.generated.events:,} -> {'flat' if flat else 'GROWS'}"
                f" (limit {limit:.0f} MiB)"
            )
    return lines


# -- the command ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rebuild", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2,000 events, proved (CI)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--events", type=int, nargs="+", help="ledger sizes to measure")
    parser.add_argument("--verify", action="store_true", help="prove every measured ledger")
    parser.add_argument("--profile", action="store_true", help="cProfile one more rebuild")
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    parser.add_argument(
        "--partitions",
        type=int,
        help="processes sharing a rebuild (default: one per core from"
        f" {PARALLEL_FROM:,} events; --quick: {QUICK_PARTITIONS})",
    )
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.url, args.profile_out, args.partitions)
        return 0
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    sizes = args.events or list(QUICK_SIZES if args.quick else FULL_SIZES)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    started, code_at_start = time.perf_counter(), commit()
    results: list[SizeResult] = []
    postgres_version = None
    for backend in backends:
        server_context = (
            _postgres.postgres_server() if backend == "postgresql" else nullcontext(None)
        )
        with server_context as server:
            if server is not None:
                postgres_version = asyncio.run(_postgres.version(server))
            new_database = database_factory(backend, server)
            if not args.quick:
                log(f"{backend}: proving a generated ledger of {VALIDATE_EVENTS:,} events")
                with new_database() as url:
                    prove(url, VALIDATE_EVENTS)
            for size in sizes:
                with new_database() as url:
                    results.append(
                        run_size(
                            backend,
                            url,
                            size,
                            verify=args.verify or args.quick,
                            profile=args.profile,
                            partitions=args.partitions
                            or (QUICK_PARTITIONS if args.quick else None),
                        )
                    )
    print("\n".join(machine(postgres_version)))
    if commit() != code_at_start:
        print(f"WARNING: the ledger changed during the run (it began at {code_at_start})")
    print(f"a fresh database per size; each measurement in a fresh process; page {PAGE}.")
    print("\n".join(table(results)))
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0 if all(r.views_ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
