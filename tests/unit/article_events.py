"""Events and states of one article, shared by the article stream's unit tests."""

from __future__ import annotations

from typing import Any

from ledger.domain import articles
from ledger.domain.articles import Article, Rater
from ledger.domain.events import (
    ArticleRegistered,
    CommentPosted,
    DomainEvent,
    RatingSubmitted,
)

ARTICLE_ID = "a1"
TITLE = (
    "The Analgesic Efficacy of Intradiscal Injection of Bone Marrow Aspirate Concentrate and "
    "Culture-Expanded Bone Marrow Mesenchymal Stromal Cells in Discogenic Pain: "
    "A Systematic Review"
)
CITATION: dict[str, Any] = {
    "title": TITLE,
    "authors": ["Her YF", "Kubrova E", "Martinez Alvarez GA", "D'Souza RS"],
    "journal": "Journal of Pain Research",
    "journal_abbreviation": "J Pain Res",
    "published_on": "2022-10-20",
    "volume": "15",
    "issue": None,
    "pages": "3299-3318",
    "doi": "10.2147/JPR.S373345",
    "pmid": "36324864",
    "publication_note": "eCollection 2022",
    "study_type": "Systematic review",
    "abstract": "Pain originating from the intervertebral disc is a prevalent manifestation.",
}
TOPICS = ["Back Pain", "Chronic Low Back Pain"]

PHYSICIAN = Rater("r1", "Physician")
NURSE = Rater("r2", "Nurse")


def registered(**overrides: Any) -> ArticleRegistered:
    fields: dict[str, Any] = {
        **CITATION,
        "authors": tuple(CITATION["authors"]),
        "topics": tuple(TOPICS),
        **overrides,
    }
    return ArticleRegistered(article_id=ARTICLE_ID, **fields)


def submitted(
    rater: Rater,
    rating_id: str,
    relevance: int | None,
    newsworthiness: int | None,
    comment: str | None = None,
) -> RatingSubmitted:
    return RatingSubmitted(
        ARTICLE_ID, rating_id, rater.rater_id, rater.discipline, relevance, newsworthiness, comment
    )


def state(*events: DomainEvent) -> Article | None:
    return articles.fold(list(events))


def register(citation: dict[str, Any], topics: object = TOPICS) -> list[DomainEvent]:
    return articles.decide_register(None, ARTICLE_ID, citation, topics)


POSTED = CommentPosted(ARTICLE_ID, "a1.c2", "s1", "Spam spam spam")
