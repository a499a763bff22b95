"""Mutation inputs. Each mutation takes one ``input``; retries carry an ``idempotencyKey``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import date
from typing import Any, TypeVar

import strawberry

from graph.schema.ids import article_key
from ledger.domain.citation import CITATION_FIELDS
from ledger.domain.commands import Command

__all__ = [
    "AssignDisciplinesInput",
    "CorrectArticleInput",
    "EnrollRaterInput",
    "HideCommentInput",
    "PostCommentInput",
    "RegisterArticleInput",
    "RegisterDisciplineInput",
    "RegisterStudyTypeInput",
    "RestoreCommentInput",
    "RetractArticleInput",
    "ReviseRatingInput",
    "SubmitRatingInput",
    "WithdrawRatingInput",
    "citation_changes",
    "command_of",
]

C = TypeVar("C", bound=Command)

KEY = "Retrying with the same key returns the first answer and changes nothing."
EXPECTED = "The article version the change was decided on; if it moved, the answer is Conflict."
AUTHOR_RATERS = (
    "The enrolled raters (by rater id, at most 20) among the article's authors: never asked "
    "to rate it."
)


@strawberry.input
class RegisterArticleInput:
    title: str
    journal: str
    study_type: str = strawberry.field(
        description="One of `studyTypes` (any case); an editor adds others with "
        "`registerStudyType`."
    )
    abstract: str
    topics: list[str] = strawberry.field(
        description='A topic the ledger already has is reused as it is spelled there: "back '
        'pain" is filed under "Back Pain".'
    )
    authors: list[str] = strawberry.field(default_factory=list)
    journal_abbreviation: str | None = None
    published_on: date | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    doi: str | None = None
    pmid: str | None = None
    publication_note: str | None = None
    article_id: strawberry.ID | None = strawberry.field(
        default=None, description="Chosen by the caller, or made up when left out."
    )
    disciplines: list[str] = strawberry.field(
        default_factory=list,
        description="The disciplines to rate it in: rating requests go to raters of each.",
    )
    populations: list[str] = strawberry.field(
        default_factory=list,
        description="The patient populations it concerns (e.g. Adults); none: any.",
    )
    author_raters: list[str] = strawberry.field(default_factory=list, description=AUTHOR_RATERS)
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input(description="Only the fields given are corrected.")
class CorrectArticleInput:
    article_id: strawberry.ID
    reason: str
    title: str | None = strawberry.UNSET
    authors: list[str] | None = strawberry.UNSET
    journal: str | None = strawberry.UNSET
    journal_abbreviation: str | None = strawberry.UNSET
    published_on: date | None = strawberry.UNSET
    volume: str | None = strawberry.UNSET
    issue: str | None = strawberry.UNSET
    pages: str | None = strawberry.UNSET
    doi: str | None = strawberry.UNSET
    pmid: str | None = strawberry.UNSET
    publication_note: str | None = strawberry.UNSET
    study_type: str | None = strawberry.UNSET
    abstract: str | None = strawberry.UNSET
    topics: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces the article's topics."
    )
    expected_version: int | None = strawberry.field(default=None, description=EXPECTED)
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class RetractArticleInput:
    article_id: strawberry.ID
    reason: str
    expected_version: int | None = strawberry.field(default=None, description=EXPECTED)
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class RegisterDisciplineInput:
    name: str
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input(description="A study type to add to those articles may have.")
class RegisterStudyTypeInput:
    name: str
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class EnrollRaterInput:
    discipline: str
    display_name: str | None = None
    email: str | None = None
    rater_id: strawberry.ID | None = strawberry.field(
        default=None, description="Chosen by the caller, or made up when left out."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


# The rating form's other answers (``ledger.domain.ratings``).
DONT_KNOW = '"I don\'t know if this is newsworthy": newsworthiness left out.'
BEYOND = (
    '"Beyond my personal area of expertise but may be of interest to my discipline": '
    "relevance and newsworthiness left out; answers, but counts as no rating."
)
RATER_COMMENT = "Plain text, at most 1,000 characters."


@strawberry.input(description="The rater and their discipline come from the token.")
class SubmitRatingInput:
    article_id: strawberry.ID
    relevance: int | None = strawberry.field(
        default=None,
        description="7 directly and highly relevant ... 1 not; left out only with beyondExpertise.",
    )
    newsworthiness: int | None = strawberry.field(
        default=None,
        description=(
            "7 most practitioners in my discipline definitely don't know this ... 1; asked "
            "only when relevance is above 2 (then a score or newsworthinessUnknown)."
        ),
    )
    comment: str | None = strawberry.field(default=None, description=RATER_COMMENT)
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)
    newsworthiness_unknown: bool = strawberry.field(default=False, description=DONT_KNOW)
    beyond_expertise: bool = strawberry.field(default=False, description=BEYOND)


@strawberry.input
class ReviseRatingInput:
    article_id: strawberry.ID
    relevance: int | None = strawberry.field(default=None, description="As in `SubmitRatingInput`.")
    newsworthiness: int | None = strawberry.field(
        default=None, description="As in `SubmitRatingInput`."
    )
    comment: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Left out: the comment stays as it is. `null`: the comment is removed.",
    )
    expected_version: int | None = strawberry.field(default=None, description=EXPECTED)
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)
    newsworthiness_unknown: bool = strawberry.field(default=False, description=DONT_KNOW)
    beyond_expertise: bool = strawberry.field(default=False, description=BEYOND)


@strawberry.input
class WithdrawRatingInput:
    article_id: strawberry.ID
    expected_version: int | None = strawberry.field(default=None, description=EXPECTED)
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class PostCommentInput:
    article_id: strawberry.ID
    body: str = strawberry.field(description="Plain text, at most 5,000 characters.")
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class HideCommentInput:
    article_id: strawberry.ID
    comment_id: strawberry.ID
    reason: str
    expected_version: int | None = strawberry.field(default=None, description=EXPECTED)
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class RestoreCommentInput:
    article_id: strawberry.ID
    comment_id: strawberry.ID
    reason: str
    expected_version: int | None = strawberry.field(default=None, description=EXPECTED)
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


def citation_changes(source: RegisterArticleInput | CorrectArticleInput) -> dict[str, Any]:
    """The citation fields the input sets, as the domain names them (dates as text)."""
    changes: dict[str, Any] = {}
    for name in CITATION_FIELDS:
        value = getattr(source, name)
        if value is strawberry.UNSET:
            continue
        changes[name] = value.isoformat() if isinstance(value, date) else value
    return changes


def command_of(kind: type[C], source: object, **given: Any) -> C:
    """The command ``kind`` from an input of the same field names: a field left out
    (``UNSET``) takes the command's default, an article id is read from its global id, and
    what the input does not carry (the caller, the citation) comes in ``given``."""
    values: dict[str, Any] = {}
    for each in fields(kind):
        if each.name in given:
            values[each.name] = given[each.name]
            continue
        value = getattr(source, each.name, strawberry.UNSET)
        if value is strawberry.UNSET:
            continue
        values[each.name] = _READ.get(each.name, _as_is)(value)
    return kind(**values)


def _as_is(value: Any) -> Any:
    return value


# How an input's id is read into the command's.
_READ: dict[str, Callable[[Any], Any]] = {"article_id": article_key, "comment_id": str}


@strawberry.input
class AssignDisciplinesInput:
    article_id: strawberry.ID
    disciplines: list[str] = strawberry.field(
        description="Replaces the article's assigned disciplines; requests go to raters of each."
    )
    populations: list[str] = strawberry.field(
        default_factory=list,
        description="The patient populations it concerns (e.g. Adults); none: any.",
    )
    author_raters: list[str] | None = strawberry.field(
        default=None,
        description=AUTHOR_RATERS + " Left out: those named before are kept; [] clears them.",
    )
    expected_version: int | None = strawberry.field(default=None, description=EXPECTED)
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)
