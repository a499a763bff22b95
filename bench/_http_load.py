"""The load generator of ``bench.http``, run as its own process so it never shares a core's
event loop with the server it measures.

    python -m bench._http_load < spec.json > result.json

It reads a ``LoadSpec`` (JSON) on stdin, sends ``warmup`` untimed requests, then up to
``requests`` timed ones from ``concurrency`` asyncio workers over as many keep-alive
connections (httpx), stopping early at ``time_limit`` seconds, and writes a ``LoadResult``
(JSON) on stdout. Each worker sends its next request as soon as its last one is answered
(a closed loop), cycling over the given GraphQL variables. With ``writes``, each request
is preceded by a write through the ledger's use cases (``bench._http_writes``), awaited and
not timed: every answer is then a cache miss. With ``pace_seconds``, requests start one at a
time that far apart at the soonest, across all connections: a write-bound run's pace (whose
writes take their turns one after another), without its writes.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from bench._http_writes import Writer, WriteSpec

__all__ = ["LoadResult", "LoadSpec", "main", "run"]


@dataclass(frozen=True)
class LoadSpec:
    url: str
    query: str
    variables: list[dict[str, Any]]  # cycled over, request i gets variables[i % len]
    concurrency: int
    requests: int
    warmup: int
    time_limit: float  # seconds, of the timed phase
    server_pid: int | None = None  # whose CPU time to read over the timed phase (Linux)
    writes: dict[str, Any] | None = None  # a WriteSpec: a write before every request
    pace_seconds: float = 0.0  # the least time between two requests' starts (no writes)
    database_cpu: bool = False  # read PostgreSQL's CPU time too (Linux)

    @classmethod
    def from_json(cls, text: str) -> LoadSpec:
        return cls(**json.loads(text))

    def to_json(self) -> str:
        return json.dumps(asdict(self))


@dataclass(frozen=True)
class LoadResult:
    latencies: list[float]  # seconds, of the answered timed requests, in completion order
    errors: int  # timed requests that failed (not 200, GraphQL errors, or no answer)
    first_error: str | None
    seconds: float  # wall time of the timed phase
    cpu_seconds: float  # the generator's own CPU time in the timed phase
    server_cpu_seconds: float | None  # the server process's CPU time in the timed phase
    # PostgreSQL's processes' CPU time in the timed phase (the writes' share too, if any).
    database_cpu_seconds: float | None = None

    @classmethod
    def from_json(cls, text: str) -> LoadResult:
        return cls(**json.loads(text))

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @property
    def requests(self) -> int:
        return len(self.latencies) + self.errors


class _Phase:
    """Hands out request numbers to the workers until the count or the deadline is reached."""

    def __init__(self, requests: int, seconds: float, pace: float = 0.0) -> None:
        self.requests = requests
        self.deadline = time.perf_counter() + seconds
        self.issued = 0
        self.pace = pace
        self._next_start = 0.0  # the soonest the next paced request may start
        self.latencies: list[float] = []
        self.errors = 0
        self.first_error: str | None = None

    def next(self) -> int | None:
        if self.issued >= self.requests or time.perf_counter() >= self.deadline:
            return None
        self.issued += 1
        return self.issued - 1

    async def wait_turn(self) -> None:
        """With a pace: wait for this request's start, ``pace`` after the one before (or now,
        if that moment has passed: a late start is not made up for by a burst)."""
        if self.pace <= 0:
            return
        now = time.perf_counter()
        start = max(now, self._next_start)
        self._next_start = start + self.pace
        if start > now:
            await asyncio.sleep(start - now)

    def failed(self, reason: str) -> None:
        self.errors += 1
        if self.first_error is None:
            self.first_error = reason[:500]


def process_cpu(pid: int | None) -> float | None:
    """User + system CPU seconds of a process, from /proc (None where there is none)."""
    stat = None if pid is None else _stat(Path(f"/proc/{pid}"))
    if stat is None:
        return None
    _, _, (user, system, _, _) = stat
    return (user + system) / os.sysconf("SC_CLK_TCK")


def _stat(entry: Path) -> tuple[str, int, list[int]] | None:
    """A process's name, parent and CPU ticks (utime, stime, cutime, cstime), or None."""
    try:
        text = (entry / "stat").read_text()
    except OSError:
        return None  # ended meanwhile
    name = text[text.index("(") + 1 : text.rindex(")")]
    fields = text.rsplit(")", 1)[1].split()
    # After the command name: the parent is field 4, the CPU times fields 14 to 17.
    return name, int(fields[1]), [int(f) for f in fields[11:15]]


def database_cpu() -> float | None:
    """CPU seconds of the PostgreSQL servers running on this machine (None: none runs here):
    each postmaster's own and its children's, those still running and those it has reaped
    (a backend or autovacuum worker that ended keeps counting in its postmaster's)."""
    processes = {
        int(entry.name): stat
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and (stat := _stat(entry)) is not None
    }
    postmasters = {
        pid
        for pid, (name, parent, _) in processes.items()
        if name == "postgres" and processes.get(parent, ("",))[0] != "postgres"
    }
    if not postmasters:
        return None
    ticks = 0
    for pid, (_, parent, times) in processes.items():
        if pid in postmasters:
            ticks += sum(times)  # its own, and its reaped children's
        elif parent in postmasters:
            ticks += times[0] + times[1]
    return ticks / os.sysconf("SC_CLK_TCK")


async def _send(
    client: httpx.AsyncClient, spec: LoadSpec, number: int, phase: _Phase, writer: Writer | None
) -> None:
    if writer is not None:
        try:
            await writer.write(number)
        except Exception as error:  # a failed write makes no miss: counted as an error
            phase.failed(f"write: {type(error).__name__}: {error}")
            return
    else:
        await phase.wait_turn()
    body = {"query": spec.query, "variables": spec.variables[number % len(spec.variables)]}
    started = time.perf_counter()
    try:
        response = await client.post(spec.url, json=body)
        elapsed = time.perf_counter() - started
        answer = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError) as error:
        phase.failed(f"{type(error).__name__}: {error}")
        return
    if answer is None:
        phase.failed(f"HTTP {response.status_code}: {response.text}")
    elif answer.get("errors") or not answer.get("data"):
        phase.failed(json.dumps(answer.get("errors")))
    else:
        phase.latencies.append(elapsed)


async def _phase(
    client: httpx.AsyncClient,
    spec: LoadSpec,
    requests: int,
    seconds: float,
    writer: Writer | None = None,
) -> _Phase:
    phase = _Phase(requests, seconds, spec.pace_seconds)

    async def worker() -> None:
        while (number := phase.next()) is not None:
            await _send(client, spec, number, phase, writer)

    async with asyncio.TaskGroup() as group:
        for _ in range(spec.concurrency):
            group.create_task(worker())
    return phase


async def run(spec: LoadSpec) -> LoadResult:
    limits = httpx.Limits(
        max_connections=spec.concurrency, max_keepalive_connections=spec.concurrency
    )
    timeout = httpx.Timeout(max(spec.time_limit, 30.0))
    writer = Writer(WriteSpec(**spec.writes)) if spec.writes is not None else None
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:
        # Untimed: opens the connections and warms the server's caches and pools.
        await _phase(client, spec, max(spec.warmup, spec.concurrency), spec.time_limit, writer)
        server = process_cpu(spec.server_pid)
        database = database_cpu() if spec.database_cpu else None
        cpu, wall = time.process_time(), time.perf_counter()
        phase = await _phase(client, spec, spec.requests, spec.time_limit, writer)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        server_after = process_cpu(spec.server_pid)
        database_after = database_cpu() if spec.database_cpu else None
        database_used = (
            None if database is None or database_after is None else database_after - database
        )
    if writer is not None:
        await writer.close()
    server_cpu = None if server is None or server_after is None else server_after - server
    return LoadResult(
        phase.latencies, phase.errors, phase.first_error, wall, cpu, server_cpu, database_used
    )


def main() -> int:
    spec = LoadSpec.from_json(sys.stdin.read())
    result = asyncio.run(run(spec))
    sys.stdout.write(result.to_json())
    return 0


if __name__ == "__main__":
    sys.exit(main())
