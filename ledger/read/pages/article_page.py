"""The article page in one statement: the article's row with its topics, scores, raters'
comments, visible subscribers' comments (with their authors' names) and related articles,
each list built as JSON by the database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from ledger.domain.scores import ScorePolicy
from ledger.projections.tables import live_views
from ledger.read.articles import ArticleView, view_of
from ledger.read.pages.dialects import POSTGRES, SQLITE, PageDialect
from ledger.read.pages.driver import DriverReads
from ledger.read.scores import in_assigned_sql
from ledger.store.tables import people

__all__ = ["RELATED_ON_PAGE", "SUMMARY_COLUMNS", "ArticlePageRead", "read_article_page"]

# The article page asks for `relatedArticles(first: 5)`.
RELATED_ON_PAGE = 5

SUMMARY_COLUMNS = (
    "article_id", "title", "authors", "journal", "journal_abbreviation", "published_on",
    "volume", "issue", "pages", "doi", "pmid", "publication_note", "study_type", "abstract",
    "retracted", "version", "registered_position",
)  # fmt: skip


@dataclass(frozen=True)
class ArticlePageRead:
    view: ArticleView  # hidden comments left out, as everyone reads them
    display_names: Mapping[str, str | None]  # by subscriber comment author
    related: tuple[tuple[str, str], ...]  # (article id, title), most related first


def _statement(d: PageDialect) -> str:
    v = live_views
    articles, topics, scores = v.article_views.name, v.article_topics.name, v.discipline_scores
    ratings, comments = v.active_ratings.name, v.subscriber_comments.name
    rater_comment = d.obj(
        "discipline=r.discipline", "comment=r.comment", "rater_id=r.rater_id",
        "submitted_position=r.submitted_position", f"rated_at={d.instant('r.rated_at')}",
    )  # fmt: skip
    subscriber_comment = d.obj(
        "comment_id=c.comment_id", "author_id=c.author_id", "body=c.body",
        "posted_position=c.posted_position", f"posted_at={d.instant('c.posted_at')}",
        "display_name=p.display_name",
    )  # fmt: skip
    score = d.obj(
        "discipline=s.discipline", "relevance_sum=s.relevance_sum",
        "newsworthiness_sum=s.newsworthiness_sum", "rating_count=s.rating_count",
        "newsworthiness_count=s.newsworthiness_count",
    )  # fmt: skip
    # As ``ledger.read.related`` ranks them: most shared topics, then newest, retracted out.
    related = f"""
        SELECT x.article_id, x.title, row_number() OVER (ORDER BY x.shared DESC,
               x.published_on DESC NULLS LAST, x.registered_position DESC) AS rank
        FROM (SELECT o.article_id, o.title, o.published_on, o.registered_position,
                     count(*) AS shared
              FROM {topics} mine
              JOIN {topics} theirs ON theirs.topic = mine.topic
              JOIN {articles} o ON o.article_id = theirs.article_id
              WHERE mine.article_id = a.article_id AND theirs.article_id <> a.article_id
                AND NOT o.retracted
              GROUP BY o.article_id, o.title, o.published_on, o.registered_position) x
        ORDER BY rank LIMIT {RELATED_ON_PAGE}"""
    columns = ", ".join(f"a.{name}" for name in SUMMARY_COLUMNS)
    return f"""
SELECT {columns}, {d.instant("a.registered_at")},
  (SELECT {d.array(d.obj("topic=t.topic", "ordinal=t.ordinal"))}
     FROM {topics} t WHERE t.article_id = a.article_id),
  (SELECT {d.array(score)} FROM {scores.name} s
     WHERE s.article_id = a.article_id AND {in_assigned_sql("s")}),
  (SELECT {d.array(rater_comment)} FROM {ratings} r
     WHERE r.article_id = a.article_id AND r.comment IS NOT NULL AND {in_assigned_sql("r")}),
  (SELECT {d.array(subscriber_comment)} FROM {comments} c
     LEFT JOIN {people.name} p ON p.person_id = c.author_id
     WHERE c.article_id = a.article_id AND NOT c.hidden),
  (SELECT {d.array(d.obj("article_id=q.article_id", "title=q.title", "rank=q.rank"))}
     FROM ({related}) q)
FROM {articles} a WHERE a.article_id = {d.parameter}"""


# Built once, when the module is imported: the hot path only binds the article's id.
_STATEMENTS = {dialect.name: _statement(dialect) for dialect in (POSTGRES, SQLITE)}


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _page(row: Sequence[Any], policy: ScorePolicy) -> ArticlePageRead:
    width = len(SUMMARY_COLUMNS)
    article: dict[str, Any] = dict(zip(SUMMARY_COLUMNS, row[:width], strict=True))
    article["registered_at"] = _instant(row[width])
    topics, scores, ratings, comments, related = (orjson.loads(text) for text in row[width + 1 :])
    for rating in ratings:
        rating["rated_at"] = _instant(rating["rated_at"])
    for comment in comments:
        comment["posted_at"] = _instant(comment["posted_at"])
        comment["hidden"] = False
    view = view_of(
        article,
        [t["topic"] for t in sorted(topics, key=lambda t: t["ordinal"])],
        scores,
        ratings,
        comments,
        policy,
    )
    return ArticlePageRead(
        view=view,
        display_names={c["author_id"]: c["display_name"] for c in comments},
        related=tuple(
            (r["article_id"], r["title"]) for r in sorted(related, key=lambda r: r["rank"])
        ),
    )


async def read_article_page(
    reads: DriverReads, article_id: str, policy: ScorePolicy
) -> ArticlePageRead | None:
    """The article page of ``article_id`` as everyone may read it; None when there is no
    such article."""
    row = await reads.fetch_row(_STATEMENTS[reads.dialect_name], article_id)
    return None if row is None else _page(row, policy)
