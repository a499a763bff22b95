"""Typed errors a client can switch on, and the mapping from the ledger's refusals."""

from __future__ import annotations

import re

import strawberry
from graphql import GraphQLError

from ledger.domain import errors as ledger_errors

__all__ = [
    "BadInput",
    "Conflict",
    "Error",
    "NotAllowed",
    "NotFound",
    "ValidationError",
    "error_of",
]


class BadInput(GraphQLError):
    """A query argument is malformed: a client error, never masked."""

    def __init__(self, message: str, argument: str) -> None:
        super().__init__(message, extensions={"code": "BAD_USER_INPUT", "argument": argument})


@strawberry.interface(description="Something the caller asked for was refused; nothing changed.")
class Error:
    message: str
    code: str = strawberry.field(description="A stable machine-readable code.")


@strawberry.type(description="An input field is malformed.")
class ValidationError(Error):
    field: str = strawberry.field(description="The input field, as named in the schema.")


@strawberry.type(description="The article, rater, rating, comment or discipline does not exist.")
class NotFound(Error):
    kind: str
    identifier: str


@strawberry.type(description="The caller's role may not do this.")
class NotAllowed(Error):
    pass


@strawberry.type(description="The request conflicts with the current state of the ledger.")
class Conflict(Error):
    expected_version: int | None = None
    actual_version: int | None = None


def camel(name: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


_CONFLICT_CODES: dict[type[ledger_errors.LedgerError], str] = {
    ledger_errors.DuplicateRating: "DUPLICATE_RATING",
    ledger_errors.ArticleIsRetracted: "ARTICLE_RETRACTED",
    ledger_errors.AlreadyRetracted: "ALREADY_RETRACTED",
    ledger_errors.NoActiveRating: "NO_ACTIVE_RATING",
    ledger_errors.WrongCommentState: "WRONG_COMMENT_STATE",
    ledger_errors.AlreadyExists: "ALREADY_EXISTS",
    ledger_errors.IdempotencyKeyReused: "IDEMPOTENCY_KEY_REUSED",
    ledger_errors.RatingNotRequested: "NOT_REQUESTED",
    ledger_errors.DisciplineNotAssigned: "DISCIPLINE_NOT_ASSIGNED",
    ledger_errors.RaterIsAuthor: "RATER_IS_AUTHOR",
    ledger_errors.WrongPauseState: "WRONG_PAUSE_STATE",
}


def error_of(
    error: ledger_errors.LedgerError,
) -> ValidationError | NotFound | NotAllowed | Conflict:
    """The typed GraphQL error for a refusal of the ledger."""
    if isinstance(error, ledger_errors.NotASubscriber):
        return NotAllowed(message=str(error), code="NOT_ALLOWED")
    if isinstance(error, ledger_errors.ValidationFailed):
        return ValidationError(
            message=str(error), code="VALIDATION_FAILED", field=camel(error.field)
        )
    if isinstance(error, ledger_errors.InvalidMetadata):
        return ValidationError(message=str(error), code="VALIDATION_FAILED", field="input")
    if isinstance(error, ledger_errors.NotFound):
        return NotFound(
            message=str(error), code="NOT_FOUND", kind=error.kind, identifier=error.identifier
        )
    if isinstance(error, ledger_errors.WrongExpectedVersion):
        return Conflict(
            message=str(error),
            code="STALE_VERSION",
            expected_version=error.expected,
            actual_version=error.actual,
        )
    code = next((c for kind, c in _CONFLICT_CODES.items() if isinstance(error, kind)), "CONFLICT")
    return Conflict(message=str(error), code=code)
