"""The article page's answer, written from one read as the executor writes it: the same
fields in the same order, the same values (the schema's types are built from the same
read-side values: ``Citation.line``, ``counted`` scores, "Subscriber" for a nameless
author), the same scalars (``isoformat`` for dates and times, global ids by relay)."""

from __future__ import annotations

from datetime import date
from typing import Any

from strawberry.relay import to_base64

from ledger.domain.scores import RATING_SCALES, counted
from ledger.read.pages import ArticlePageRead

__all__ = ["RATING_SCALES_ANSWER", "article_answer"]

# `ratingScales { name question labels { value label } otherAnswer askedWhenRelevanceAbove }`:
# data, the same on every page.
RATING_SCALES_ANSWER = [
    {
        "name": scale.name,
        "question": scale.question,
        "labels": [{"value": label.value, "label": label.label} for label in scale.labels],
        "otherAnswer": scale.other_answer,
        "askedWhenRelevanceAbove": scale.asked_when_relevance_above,
    }
    for scale in RATING_SCALES
]


def _citation(page: ArticlePageRead) -> dict[str, Any]:
    c = page.view.citation
    return {
        "line": c.line,
        "title": c.title,
        "authors": list(c.authors),
        "journal": c.journal,
        "journalAbbreviation": c.journal_abbreviation,
        "publishedOn": date.fromisoformat(c.published_on).isoformat() if c.published_on else None,
        "volume": c.volume,
        "issue": c.issue,
        "pages": c.pages,
        "doi": c.doi,
        "pmid": c.pmid,
        "publicationNote": c.publication_note,
    }


def _scores(page: ArticlePageRead) -> list[dict[str, Any]]:
    retracted = page.view.retracted
    return [
        {
            "discipline": {"name": s.discipline},
            "score": s.score,
            "outOf": s.out_of,
            "relevance": float(s.relevance),
            "newsworthiness": None if s.newsworthiness is None else float(s.newsworthiness),
            "ratingCount": s.rating_count,
            "meetsThreshold": s.meets_threshold,
            "missingRatings": s.missing_ratings,
        }
        for s in (counted(score, retracted=retracted) for score in page.view.discipline_scores)
    ]


def _comments(page: ArticlePageRead) -> dict[str, Any]:
    view = page.view
    return {
        "raterComments": [
            {
                "discipline": {"name": c.discipline},
                "body": c.body,
                "postedAt": c.posted_at.isoformat(),
            }
            for c in view.rater_comments
        ],
        "subscriberComments": [
            {
                "id": c.comment_id,
                "author": page.display_names.get(c.author_id) or "Subscriber",
                "body": c.body,
                "postedAt": c.posted_at.isoformat(),
            }
            for c in view.subscriber_comments
        ],
    }


def article_answer(page: ArticlePageRead) -> dict[str, Any]:
    """The whole answer (``{"data": ...}``) of the article page for an article that is not
    retracted (a retraction's reason is read from the log: the executor answers those)."""
    view = page.view
    assert not view.retracted, "a retracted article's page is the executor's"
    comments = _comments(page)
    article = {
        "id": to_base64("Article", view.article_id),
        "articleId": view.article_id,
        "version": view.version,
        "retracted": False,
        "retraction": None,
        "citation": _citation(page),
        "studyType": view.study_type,
        "abstract": view.abstract,
        "disciplineScores": _scores(page),
        "topics": [{"name": name} for name in view.topics],
        "raterComments": comments["raterComments"],
        "subscriberComments": comments["subscriberComments"],
        "relatedArticles": [
            {"articleId": article_id, "citation": {"title": title}}
            for article_id, title in page.related
        ],
    }
    return {"data": {"article": article, "ratingScales": RATING_SCALES_ANSWER}}
