"""The article list's page in one statement, unfiltered (retracted articles left out, or
included): the page's articles with their topics and scores, the whole list's count, every
topic with its count, the disciplines and the study types' history, each built as JSON by
the database. Filtered and searched lists are read by ``ledger.read.article_list``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from ledger.domain import vocabulary
from ledger.domain.events import EventRegistry
from ledger.domain.scores import DisciplineScore, ScorePolicy
from ledger.projections.tables import live_views
from ledger.read.articles import ArticleSummary, summary_of
from ledger.read.pages.article_page import SUMMARY_COLUMNS
from ledger.read.pages.dialects import POSTGRES, SQLITE, PageDialect
from ledger.read.pages.driver import DriverReads
from ledger.read.scores import in_assigned_sql, scores_of
from ledger.store.codec import current_payload
from ledger.store.tables import events

__all__ = ["ListPageRead", "ListedArticle", "read_list_page"]

# Past every position: the first page's "after".
_NO_CURSOR = 2**63 - 1


@dataclass(frozen=True)
class ListedArticle:
    summary: ArticleSummary
    topics: tuple[str, ...]
    scores: tuple[DisciplineScore, ...]


@dataclass(frozen=True)
class ListPageRead:
    articles: tuple[ListedArticle, ...]  # newest registered first
    more: bool  # whether articles follow this page
    total: int  # articles on every page
    topics: tuple[tuple[str, int], ...]  # every topic and its articles, by name
    disciplines: tuple[str, ...]  # in registration order
    study_types: tuple[str, ...]


def _page(d: PageDialect, include_retracted: bool) -> str:
    v = live_views
    articles, topics, scores = v.article_views.name, v.article_topics.name, v.discipline_scores
    retracted = "" if include_retracted else "NOT a.retracted AND "
    columns = [f"{name}=p.{name}" for name in SUMMARY_COLUMNS]
    node = d.obj(
        *columns,
        f"registered_at={d.instant('p.registered_at')}",
        "topics="
        + d.nested_array(
            d.obj("topic=t.topic", "ordinal=t.ordinal"),
            f"FROM {topics} t WHERE t.article_id = p.article_id",
        ),
        "scores="
        + d.nested_array(
            d.obj(
                "discipline=s.discipline",
                "relevance_sum=s.relevance_sum",
                "newsworthiness_sum=s.newsworthiness_sum",
                "rating_count=s.rating_count",
                "newsworthiness_count=s.newsworthiness_count",
            ),
            f"FROM {scores.name} s WHERE s.article_id = p.article_id AND {in_assigned_sql('s')}",
        ),
    )
    return f"""(SELECT {d.array(node)} FROM (SELECT a.* FROM {articles} a
        WHERE {retracted}a.registered_position < {d.numbered(1)}
        ORDER BY a.registered_position DESC LIMIT {d.numbered(2)}) p)"""


def _statement(d: PageDialect, include_retracted: bool) -> str:
    v = live_views
    articles, topics = v.article_views.name, v.article_topics.name
    counted = "" if include_retracted else " WHERE NOT a.retracted"
    # As ``ledger.read.vocabulary.topics`` counts them: by folded topic, retracted aside.
    topic_counts = f"""
        SELECT spelled.topic, count(DISTINCT carrying.article_id) AS articles,
               row_number() OVER (ORDER BY spelled.topic) AS rank
        FROM (SELECT DISTINCT topic, topic_key FROM {topics}) spelled
        JOIN {topics} carrying ON carrying.topic_key = spelled.topic_key
        JOIN {articles} carrier ON carrier.article_id = carrying.article_id
        WHERE NOT carrier.retracted
        GROUP BY spelled.topic"""
    return f"""
SELECT
  {_page(d, include_retracted)},
  (SELECT count(*) FROM {articles} a{counted}),
  (SELECT {d.array(d.obj("topic=x.topic", "articles=x.articles", "rank=x.rank"))}
     FROM ({topic_counts}) x),
  (SELECT {d.array(d.obj("name=g.name", "position=g.registered_position"))}
     FROM {v.disciplines.name} g),
  (SELECT {
        d.array(
            d.obj(
                "type=e.event_type",
                "version=e.schema_version",
                "payload=e.payload",
                "position=e.position",
            )
        )
    }
     FROM {events.name} e WHERE e.stream_id = '{vocabulary.STUDY_TYPES_STREAM}')"""


# Built once, when the module is imported: the hot path only binds the page's place.
_STATEMENTS = {
    (dialect.name, include_retracted): _statement(dialect, include_retracted)
    for dialect in (POSTGRES, SQLITE)
    for include_retracted in (False, True)
}


def _listed(node: dict[str, Any], policy: ScorePolicy) -> ListedArticle:
    node["registered_at"] = datetime.fromisoformat(node["registered_at"]).replace(tzinfo=UTC)
    return ListedArticle(
        summary=summary_of(node),
        topics=tuple(t["topic"] for t in sorted(node["topics"], key=lambda t: t["ordinal"])),
        scores=scores_of(node["scores"], policy),
    )


def _study_types(registry: EventRegistry, history: list[dict[str, Any]]) -> tuple[str, ...]:
    decoded = []
    for e in sorted(history, key=lambda e: e["position"]):
        payload, _ = current_payload(
            registry, e["type"], e["version"], orjson.loads(e["payload"]), e["position"]
        )
        decoded.append(registry.decode(e["type"], payload))
    return vocabulary.study_types(decoded)


def _read(
    row: Sequence[Any], first: int, policy: ScorePolicy, registry: EventRegistry
) -> ListPageRead:
    page, total, topics, disciplines, history = row
    nodes = sorted(orjson.loads(page), key=lambda n: -n["registered_position"])
    return ListPageRead(
        articles=tuple(_listed(node, policy) for node in nodes[:first]),
        more=len(nodes) > first,
        total=int(total),
        topics=tuple(
            (t["topic"], t["articles"])
            for t in sorted(orjson.loads(topics), key=lambda t: t["rank"])
        ),
        disciplines=tuple(
            g["name"] for g in sorted(orjson.loads(disciplines), key=lambda g: g["position"])
        ),
        study_types=_study_types(registry, orjson.loads(history)),
    )


async def read_list_page(
    reads: DriverReads,
    first: int,
    after: int | None,
    policy: ScorePolicy,
    registry: EventRegistry,
    *,
    include_retracted: bool = False,
) -> ListPageRead:
    """Up to ``first`` articles registered before position ``after`` (from the newest when
    None), and what the list page shows beside them."""
    statement = _STATEMENTS[reads.dialect_name, include_retracted]
    row = await reads.fetch_row(statement, _NO_CURSOR if after is None else after, first + 1)
    assert row is not None, "a statement of scalar subqueries always has its row"
    return _read(row, first, policy, registry)
