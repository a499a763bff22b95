"""What an alert says, as the outbox takes it in: the article's citation line and the
discipline's score then, and the link to the reader's page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ledger.read.articles import ArticleView

__all__ = ["AlertContent", "content_of"]


@dataclass(frozen=True)
class AlertContent:
    alert_id: str
    kind: str  # article or retraction
    article_id: str
    title: str
    citation: str
    discipline: str | None
    score: int | None
    out_of: int
    relevance: float | None
    newsworthiness: float | None
    rating_count: int
    position: int
    due_at: str  # ISO 8601, UTC

    def as_json(self) -> dict[str, Any]:
        """As the outbox keeps it."""
        return dict(self.__dict__)

    def as_message(self, public_url: str) -> dict[str, Any]:
        """As a webhook sends it: the API's camelCase names, and the link."""
        named = {_camel(key): value for key, value in self.__dict__.items()}
        return named | {"link": self.link(public_url)}

    @classmethod
    def of_json(cls, data: Mapping[str, Any]) -> AlertContent:
        return cls(**data)

    def link(self, public_url: str) -> str:
        return f"{public_url.rstrip('/')}/articles/{self.article_id}"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def content_of(due: Mapping[str, Any], view: ArticleView | None) -> AlertContent:
    """The alert ``due`` (a ``due_alerts`` row) with its article as it now stands (a
    retraction's discipline is none: then the score is the best shown one, if any)."""
    scores = view.discipline_scores if view is not None else ()
    score = next((s for s in scores if s.discipline == due["discipline"]), None)
    if score is None and due["discipline"] is None and scores:
        score = max(scores, key=lambda s: (s.score or 0, s.rating_count))
    return AlertContent(
        alert_id=due["alert_id"],
        kind=due["kind"],
        article_id=due["article_id"],
        title=view.citation.title if view is not None else due["article_id"],
        citation=view.citation.line if view is not None else due["article_id"],
        discipline=due["discipline"],
        score=score.score if score is not None else None,
        out_of=score.out_of if score is not None else 7,
        relevance=_mean(score.relevance if score is not None else None),
        # None when no rater gave one (relevance 1-2, or "don't know").
        newsworthiness=_mean(score.newsworthiness if score is not None else None),
        rating_count=score.rating_count if score is not None else 0,
        position=due["position"],
        due_at=due["due_at"].isoformat(),
    )


def _mean(mean: Fraction | None) -> float | None:
    return round(float(mean), 2) if mean is not None else None
