"""What an abusive document costs the service to refuse, next to a normal article page.

    python -m bench.refusals [--quick]

A SQLite ledger is loaded through the use cases (the data set of ``bench.http``), then the
app runs in-process behind ``httpx.ASGITransport`` (the whole HTTP stack, no sockets), and
in interleaved rounds each document below is sent and timed:

- ``article page``: the README's article page, every nested field (what a front-end asks);
- ``deep``: 60 levels of related articles (refused by the depth limit);
- ``wide``: 1,300 fields (refused by the token limit, while parsing);
- ``aliases``: 300 aliases of one field (refused by the alias limit);
- ``directives``: 120 directives (refused by the directive limit);
- ``costly``: 100 articles x 50 related x 50 related (refused by the cost limit);
- ``fragment bomb``: 30 fragments, each spreading the next twice (2 ** 30 selections once
  expanded, refused by the expansion limit before any rule walks it);
- ``100 KB``: a 100 KB document (refused by the body limit, before it is read whole).

Every abusive document differs on every request (a numbered comment), so no parse or
validation cache helps the refusal; the article page is the same document each time, as a
front-end's is. Refusals must cost less than the page: the ratio column says by how much.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import _http_data as http_data
from bench._report import machine
from graph.app import create_app
from graph.http.pages.documents import ARTICLE_PAGE
from graph.settings import Settings

GRAPHQL_RESPONSE = "application/graphql-response+json"


@dataclass(frozen=True)
class Sizes:
    rounds: int  # interleaved rounds; each sends every document once
    warmup: int


FULL = Sizes(rounds=400, warmup=40)
QUICK = Sizes(rounds=20, warmup=3)


def deep(n: int) -> str:
    inner = "{ id }"
    for _ in range(60):
        inner = f"{{ relatedArticles(first: 1) {inner} }}"
    return f'#{n}\n{{ article(id: "x") {inner} }}'


def wide(n: int) -> str:
    return f"#{n}\n{{ " + " ".join(["__typename"] * 1300) + " }"


def aliases(n: int) -> str:
    return f"#{n}\n{{ " + " ".join(f"a{i}: __typename" for i in range(300)) + " }"


def directives(n: int) -> str:
    return f"#{n}\n{{ " + " ".join(["__typename @skip(if: false)"] * 120) + " }"


def costly(n: int) -> str:
    return (
        f"#{n}\n{{ articles(first: 100) {{ edges {{ node {{ relatedArticles(first: 50) "
        "{ relatedArticles(first: 50) { id } } } } } }"
    )


def fragment_bomb(n: int) -> str:
    chain = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(30)]
    return "\n".join([f"#{n}", "{ ...F0 }", *chain, "fragment F30 on Query { __typename }"])


def hundred_kb(n: int) -> str:
    head = f"#{n}\n{{ __typename }}\n#"
    return head + "x" * (100 * 1024 - len(head))


ABUSIVE: dict[str, tuple[Callable[[int], str], str]] = {
    "deep": (deep, "DEPTH_LIMIT_EXCEEDED"),
    "wide": (wide, "TOKEN_LIMIT_EXCEEDED"),
    "aliases": (aliases, "ALIAS_LIMIT_EXCEEDED"),
    "directives": (directives, "DIRECTIVE_LIMIT_EXCEEDED"),
    "costly": (costly, "COST_LIMIT_EXCEEDED"),
    "fragment bomb": (fragment_bomb, "DOCUMENT_TOO_COMPLEX"),
    "100 KB": (hundred_kb, "BODY_TOO_LARGE"),
}


async def _timed(client: httpx.AsyncClient, body: dict[str, Any]) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = await client.post("/graphql", json=body, headers={"accept": GRAPHQL_RESPONSE})
    return time.perf_counter() - started, response


def _code(response: httpx.Response) -> str | None:
    errors = response.json().get("errors") or [{}]
    code: str | None = errors[0].get("extensions", {}).get("code")
    return code


async def measure(url: str, article_ids: list[str], sizes: Sizes) -> dict[str, list[float]]:
    app = create_app(Settings(database_url=url, load_sample_when_empty=False))
    timings: dict[str, list[float]] = {"article page": [], **{name: [] for name in ABUSIVE}}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for n in range(sizes.warmup + sizes.rounds):
                article_id = article_ids[n % len(article_ids)]
                page = {"query": ARTICLE_PAGE, "variables": {"id": article_id}}
                elapsed, response = await _timed(client, page)
                answer = response.json()
                if response.status_code != 200 or "errors" in answer:
                    raise SystemExit(f"the article page failed: {response.text[:300]}")
                if n >= sizes.warmup:
                    timings["article page"].append(elapsed)
                for name, (document, code) in ABUSIVE.items():
                    elapsed, response = await _timed(client, {"query": document(n)})
                    if response.status_code == 200 or _code(response) != code:
                        raise SystemExit(f"{name} was not refused with {code}: {response.text}")
                    if n >= sizes.warmup:
                        timings[name].append(elapsed)
    return timings


def report(timings: dict[str, list[float]]) -> list[str]:
    page = statistics.median(timings["article page"])
    lines = [
        f"{'document':<14} {'bytes':>8} {'median µs':>10} {'p90 µs':>9} {'vs page':>8}",
    ]
    for name, samples in timings.items():
        median = statistics.median(samples)
        p90 = statistics.quantiles(samples, n=10)[-1] if len(samples) >= 10 else max(samples)
        size = len(ARTICLE_PAGE) if name == "article page" else len(ABUSIVE[name][0](0))
        ratio = median / page
        mark = "" if name == "article page" or ratio < 1 else " !"
        lines.append(
            f"{name:<14} {size:>8,} {median * 1e6:>10,.0f} {p90 * 1e6:>9,.0f} {ratio:>8.2f}{mark}"
        )
    lines.append("vs page: median time to refuse / median time of the article page (< 1 wanted)")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.refusals", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for CI")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    data_sizes = http_data.QUICK if args.quick else http_data.FULL
    with tempfile.TemporaryDirectory(prefix="bench-refusals-") as workdir:
        url = f"sqlite:///{Path(workdir) / 'ledger.db'}"
        data = http_data.plan(data_sizes)
        asyncio.run(http_data.load(url, data, data_sizes.load_writers))
        article_ids = [article.article_id for article in data.articles]
        timings = asyncio.run(measure(url, article_ids, sizes))
    for line in [*machine(None), f"{sizes.rounds} rounds, in-process ASGI, SQLite", ""]:
        print(line)
    for line in report(timings):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
