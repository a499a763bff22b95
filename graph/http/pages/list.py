"""The reader's list page's answer, written from one read as the executor writes it (the
fields of ``documents.ARTICLE_LIST``, in its order)."""

from __future__ import annotations

from typing import Any

from graph.schema.ids import encode_cursor
from ledger.domain.scores import counted
from ledger.read.pages import ListedArticle, ListPageRead

__all__ = ["list_answer"]


def _node(listed: ListedArticle) -> dict[str, Any]:
    summary = listed.summary
    return {
        "articleId": summary.article_id,
        "retracted": summary.retracted,
        "studyType": summary.study_type,
        "citation": {"line": summary.citation.line, "title": summary.citation.title},
        "topics": [{"name": name} for name in listed.topics],
        "disciplineScores": [
            {
                "discipline": {"name": s.discipline},
                "score": s.score,
                "outOf": s.out_of,
                "missingRatings": s.missing_ratings,
            }
            for s in (counted(score, retracted=summary.retracted) for score in listed.scores)
        ],
    }


def list_answer(page: ListPageRead) -> dict[str, Any]:
    """The whole answer (``{"data": ...}``) of the list page."""
    last = page.articles[-1].summary.registered_position if page.articles else None
    articles = {
        "totalCount": page.total,
        "pageInfo": {
            "hasNextPage": page.more,
            "endCursor": encode_cursor(last) if last is not None else None,
        },
        "edges": [{"node": _node(listed)} for listed in page.articles],
    }
    return {
        "data": {
            "articles": articles,
            "topics": [{"name": name, "articleCount": count} for name, count in page.topics],
            "disciplines": [{"name": name} for name in page.disciplines],
            "studyTypes": list(page.study_types),
        }
    }
