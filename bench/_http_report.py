"""What ``bench.http`` prints: the table of runs, and the ratios against the targets."""

from __future__ import annotations

from dataclasses import dataclass

from bench._http_load import LoadResult

__all__ = ["HITS_VS_BARE", "LEGEND", "MISS_CPU_MS", "WORKERS", "Row", "ratios", "table"]

# The targets of issue 14, as ratios in one run.
HITS_VS_BARE = 0.8  # cache hits at this share of the bare route's rate, or more
MISS_CPU_MS = {"article": 1.2, "list": 4.0}  # server CPU of a miss, at most
WORKERS = 1.6  # two workers over one, at least


@dataclass(frozen=True)
class Row:
    backend: str
    page: str  # article or list
    mode: str  # hit, miss, uncached, unc-paced, bare or bare-paced
    concurrency: int
    result: LoadResult

    @property
    def per_second(self) -> float:
        return len(self.result.latencies) / self.result.seconds if self.result.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Nearest rank, in milliseconds."""
        ordered = sorted(self.result.latencies)
        if not ordered:
            return float("nan")
        return 1000 * ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]

    @property
    def server_cpu_ms(self) -> float | None:
        """The server process's CPU time per answered request."""
        return self._per_request(self.result.server_cpu_seconds)

    @property
    def database_cpu_ms(self) -> float | None:
        """PostgreSQL's processes' CPU time per answered request."""
        return self._per_request(self.result.database_cpu_seconds)

    def _per_request(self, used: float | None) -> float | None:
        answered = len(self.result.latencies)
        return None if used is None or not answered else 1000 * used / answered


def _optional(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


HEADER = (
    f"{'backend':<11} {'page':<8} {'mode':<10} {'conc':>4} {'requests':>8} {'req/s':>8}"
    f" {'p50 ms':>8} {'p99 ms':>8} {'srv cpu ms':>10} {'db cpu ms':>9} {'errors':>6}"
)


def table(rows: list[Row]) -> list[str]:
    lines = [HEADER, "-" * len(HEADER)]
    for row in rows:
        lines.append(
            f"{row.backend:<11} {row.page:<8} {row.mode:<10} {row.concurrency:>4}"
            f" {row.result.requests:>8,} {row.per_second:>8,.1f} {row.percentile(50):>8.2f}"
            f" {row.percentile(99):>8.2f} {_optional(row.server_cpu_ms):>10}"
            f" {_optional(row.database_cpu_ms):>9}"
            f" {row.result.errors:>6}"
        )
    return lines


def _verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def ratios(rows: list[Row], workers: tuple[float, float] | None) -> list[str]:
    """Hits against the bare route, miss CPU against its targets, and two workers against
    one (req/s), side by side."""
    by_key = {(r.backend, r.page, r.mode, r.concurrency): r for r in rows}
    lines = ["", "ratios (targets of issue 14):"]
    for backend, page, mode, concurrency in sorted(by_key):
        if mode != "hit" or (bare := by_key.get((backend, page, "bare", concurrency))) is None:
            continue
        hit = by_key[backend, page, mode, concurrency]
        ratio = hit.per_second / bare.per_second if bare.per_second else 0.0
        target = HITS_VS_BARE
        lines.append(
            f"  {backend:<11} {page:<8} x{concurrency:<3} hits / bare route: {ratio:5.2f}"
            f" (target >= {target}: {_verdict(ratio >= target)})"
        )
    for (backend, page, mode, concurrency), row in sorted(by_key.items()):
        if mode != "miss" or row.server_cpu_ms is None:
            continue
        limit = MISS_CPU_MS[page]
        lines.append(
            f"  {backend:<11} {page:<8} x{concurrency:<3} miss server CPU:"
            f" {row.server_cpu_ms:5.2f} ms (target <= {limit}: "
            f"{_verdict(row.server_cpu_ms <= limit)})" + _beside(by_key, backend, page, concurrency)
        )
    if workers is None:
        lines.append("  --workers 2 vs 1: not measured: no --workers")
    else:
        one, two = workers
        ratio = two / one if one else 0.0
        lines.append(
            f"  --workers 2 vs 1 (article hits x16): {two:,.1f} / {one:,.1f} req/s = {ratio:.2f}x"
            f" (target >= {WORKERS}: {_verdict(ratio >= WORKERS)})"
        )
    return lines


def _beside(
    by_key: dict[tuple[str, str, str, int], Row], backend: str, page: str, concurrency: int
) -> str:
    """What to read a miss's CPU against: the same answer executed without the cache, and
    the bare route, back to back and at the misses' pace."""
    found = []
    for mode in ("uncached", "unc-paced", "bare", "bare-paced"):
        row = by_key.get((backend, page, mode, concurrency))
        cpu = None if row is None else row.server_cpu_ms
        found.append(f"{mode} {_optional(cpu)}")
    return "; ms: " + ", ".join(found)


LEGEND = [
    "article: the README's article page (graph.http.pages.documents.ARTICLE_PAGE).",
    "list: the reader's list page (ARTICLE_LIST) with first: 20, its first page.",
    "mode hit: the same request repeated. miss: a write before every request, by the load",
    "  generator through the use cases on its own connection, awaited and not timed (article:",
    "  a rating of that article revised; list: a comment on an article of another page).",
    "  bare: the same answer's bytes from a bare Starlette route under the same uvicorn.",
    "  uncached: the miss run's requests on a serve keeping no answer",
    "  (--response-cache-bytes 0): the miss's own work back to back, with no write between.",
    "  unc-paced, bare-paced: uncached and bare, their requests starting one at a time as far",
    "  apart as the miss run's did: their CPU per request at its pace, without the writes.",
    "conc: keep-alive connections, each sending its next request when answered.",
    "srv cpu ms: CPU time of the server process per request (PostgreSQL's own not in it).",
    "db cpu ms: CPU time of the PostgreSQL server per request, its ended processes' too",
    "  (miss: the write's share too; SQLite runs in the server process: its time is there).",
]
