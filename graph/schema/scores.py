"""The types of scoring: the rating form's scales, the score policy and a discipline's score."""

from __future__ import annotations

import strawberry

from graph.schema.vocabulary import Discipline
from ledger.domain import scores

__all__ = ["DisciplineScore", "RatingScale", "ScaleLabel", "ScorePolicy"]


@strawberry.type(description="One point of a rating scale and its words on the rating form.")
class ScaleLabel:
    value: int
    label: str


@strawberry.type(description="A scale of the rating form, its labels from 7 down to 1.")
class RatingScale:
    name: str = strawberry.field(description="relevance or newsworthiness")
    question: str
    labels: list[ScaleLabel]
    other_answer: str = strawberry.field(
        description=(
            "The form's answer beside the seven points: beyond the rater's expertise "
            '(relevance; counts as no rating), or "I don\'t know" (newsworthiness).'
        )
    )
    asked_when_relevance_above: int | None = strawberry.field(
        description="Asked only when relevance is above this (null: always asked)."
    )

    @classmethod
    def of(cls, scale: scores.RatingScale) -> RatingScale:
        return cls(
            name=scale.name,
            question=scale.question,
            labels=[ScaleLabel(value=x.value, label=x.label) for x in scale.labels],
            other_answer=scale.other_answer,
            asked_when_relevance_above=scale.asked_when_relevance_above,
        )


@strawberry.type(description="When a discipline's score shows and when it meets the threshold.")
class ScorePolicy:
    min_ratings: int = strawberry.field(
        description="Active ratings a discipline needs before its score shows."
    )
    min_ratings_for_threshold: int
    relevance_threshold: float = strawberry.field(
        description="Mean relevance (at least) that meets the threshold."
    )
    newsworthiness_threshold: float = strawberry.field(
        description="Mean newsworthiness (at least) that meets the threshold."
    )
    out_of: int

    @classmethod
    def of(cls, policy: scores.ScorePolicy) -> ScorePolicy:
        return cls(
            min_ratings=policy.min_ratings_for_score,
            min_ratings_for_threshold=policy.min_ratings_for_threshold,
            relevance_threshold=float(policy.relevance_threshold),
            newsworthiness_threshold=float(policy.newsworthiness_threshold),
            out_of=scores.OUT_OF,
        )


@strawberry.type(description="A discipline's area score of an article, from active ratings.")
class DisciplineScore:
    discipline: Discipline
    score: int | None = strawberry.field(
        description="Mean relevance rounded half up; null until enough ratings."
    )
    out_of: int
    relevance: float = strawberry.field(
        description="Mean relevance, unrounded, over `ratingCount` ratings."
    )
    newsworthiness: float | None = strawberry.field(
        description=(
            "Mean newsworthiness, unrounded, over `newsworthinessCount` ratings; null when "
            'none of them gave one (not asked below a relevance of 3, or "don\'t know").'
        )
    )
    rating_count: int = strawberry.field(
        description='Active ratings with a relevance ("beyond my expertise" counts as none).'
    )
    newsworthiness_count: int = strawberry.field(
        description="Of those, the ratings with a newsworthiness: its mean's own count."
    )
    meets_threshold: bool
    missing_ratings: int = strawberry.field(
        description="Active ratings still needed before `score` shows; 0 once it does."
    )

    @classmethod
    def of(cls, score: scores.DisciplineScore) -> DisciplineScore:
        return cls(
            discipline=Discipline(name=score.discipline),
            score=score.score,
            out_of=score.out_of,
            relevance=float(score.relevance),
            newsworthiness=None if score.newsworthiness is None else float(score.newsworthiness),
            rating_count=score.rating_count,
            newsworthiness_count=score.newsworthiness_count,
            meets_threshold=score.meets_threshold,
            missing_ratings=score.missing_ratings,
        )
