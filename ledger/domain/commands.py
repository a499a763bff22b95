"""What callers ask of the ledger: one frozen dataclass per command, declared once.

The API's inputs are translated into these by field name, the use cases load what each
needs and pass its fields to the deciders (whose parameters carry the same names), and the
idempotency fingerprint is made from them. ``kind`` is the command's stable name in that
fingerprint: stored fingerprints must keep matching retries, so it never changes.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

__all__ = [
    "UNCHANGED",
    "AssignDisciplines",
    "ChangeTopics",
    "ClearAlertProfile",
    "Command",
    "CorrectArticle",
    "EnrolRater",
    "ExpireArticleRequests",
    "HideComment",
    "PauseRatingRequests",
    "PostComment",
    "RegisterArticle",
    "RegisterDiscipline",
    "RegisterStudyType",
    "RestoreComment",
    "ResumeRatingRequests",
    "RetractArticle",
    "ReviseRating",
    "SetAlertProfile",
    "SetRaterProfile",
    "SubmitRating",
    "Unchanged",
    "WithdrawRating",
    "fingerprint_parts",
]


class Unchanged(enum.Enum):
    """A field a command leaves out: kept as it is. (``None`` given means "clear it".)"""

    UNCHANGED = "unchanged"


UNCHANGED = Unchanged.UNCHANGED


@dataclass(frozen=True)
class Command:
    kind: ClassVar[str]


# Field order is the fingerprint's order; ``expected_version`` is never part of it (a
# retry after the stream moved is still the same request).

# A field added to a command after keys were stored: left out of the fingerprint while it
# holds its default, so a retry of a request made before it existed is still the same one.
_NEW_ANSWER = {"fingerprint_unless_default": True}


@dataclass(frozen=True)
class RegisterDiscipline(Command):
    kind = "register_discipline"
    name: str


@dataclass(frozen=True)
class EnrolRater(Command):
    kind = "enrol_rater"
    discipline: str
    display_name: str | None = None
    email: str | None = None
    rater_id: str | None = None  # made up when left out


@dataclass(frozen=True)
class RegisterStudyType(Command):
    kind = "register_study_type"
    name: str


@dataclass(frozen=True)
class RegisterArticle(Command):
    kind = "register_article"
    citation: Mapping[str, Any]
    topics: Sequence[str]
    article_id: str | None = None  # made up when left out
    # Optional at registration: the disciplines to rate it in, the populations it concerns.
    disciplines: Sequence[str] = field(default=(), metadata=_NEW_ANSWER)
    populations: Sequence[str] = field(default=(), metadata=_NEW_ANSWER)
    author_raters: Sequence[str] = field(default=(), metadata=_NEW_ANSWER)


@dataclass(frozen=True)
class CorrectArticle(Command):
    """Correct citation fields and, if given, replace the topics, in one append."""

    kind = "correct_article"
    article_id: str
    changes: Mapping[str, Any]
    reason: str
    topics: Sequence[str] | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class ChangeTopics(Command):
    kind = "change_topics"
    article_id: str
    topics: Sequence[str]
    expected_version: int | None = None


@dataclass(frozen=True)
class RetractArticle(Command):
    kind = "retract_article"
    article_id: str
    reason: str
    expected_version: int | None = None


@dataclass(frozen=True)
class SubmitRating(Command):
    kind = "submit_rating"
    article_id: str
    rater_id: str  # from the caller's token, never from input
    relevance: int | None
    newsworthiness: int | None = None
    comment: str | None = None
    newsworthiness_unknown: bool = field(default=False, metadata=_NEW_ANSWER)
    beyond_expertise: bool = field(default=False, metadata=_NEW_ANSWER)


@dataclass(frozen=True)
class ReviseRating(Command):
    """Revise the rater's active rating; the comment is kept unless given (None clears it)."""

    kind = "revise_rating"
    article_id: str
    rater_id: str
    relevance: int | None
    newsworthiness: int | None = None
    comment: str | Unchanged | None = UNCHANGED
    expected_version: int | None = None
    newsworthiness_unknown: bool = field(default=False, metadata=_NEW_ANSWER)
    beyond_expertise: bool = field(default=False, metadata=_NEW_ANSWER)


@dataclass(frozen=True)
class WithdrawRating(Command):
    kind = "withdraw_rating"
    article_id: str
    rater_id: str
    expected_version: int | None = None


@dataclass(frozen=True)
class PostComment(Command):
    kind = "post_comment"
    article_id: str
    author_id: str  # the caller
    body: str


@dataclass(frozen=True)
class HideComment(Command):
    kind = "hide_comment"
    article_id: str
    comment_id: str
    reason: str
    expected_version: int | None = None


@dataclass(frozen=True)
class RestoreComment(Command):
    kind = "restore_comment"
    article_id: str
    comment_id: str
    reason: str
    expected_version: int | None = None


@dataclass(frozen=True)
class SetAlertProfile(Command):
    """Set or replace the subscriber's alert profile whole; the email address and webhook
    URL are kept outside the chain."""

    kind = "set_alert_profile"
    subscriber_id: str  # the caller
    disciplines: Sequence[str]
    relevance_cutoff: int
    newsworthiness_cutoff: int
    topics: Sequence[str] = ()
    study_types: Sequence[str] = ()
    delivery: str = "immediate"
    email: str | None = None
    webhook_url: str | None = None


@dataclass(frozen=True)
class ClearAlertProfile(Command):
    kind = "clear_alert_profile"
    subscriber_id: str  # the caller


@dataclass(frozen=True)
class AssignDisciplines(Command):
    """Assign the disciplines an article is rated in (replacing the last assignment) and
    request raters of each, never one of ``author_raters`` (enrolled raters among the
    article's authors; None: those named before are kept)."""

    kind = "assign_disciplines"
    article_id: str
    disciplines: Sequence[str]
    populations: Sequence[str] = ()
    expected_version: int | None = None
    author_raters: Sequence[str] | None = field(default=None, metadata=_NEW_ANSWER)


@dataclass(frozen=True)
class SetRaterProfile(Command):
    """A rater's populations and monthly limit; a field left None is kept as it is."""

    kind = "set_rater_profile"
    rater_id: str  # the caller, or the rater an editor names
    populations: Sequence[str] | None = None
    monthly_limit: int | None = None


@dataclass(frozen=True)
class PauseRatingRequests(Command):
    kind = "pause_rating_requests"
    rater_id: str


@dataclass(frozen=True)
class ResumeRatingRequests(Command):
    kind = "resume_rating_requests"
    rater_id: str


@dataclass(frozen=True)
class ExpireArticleRequests(Command):
    """Expire an article's overdue requests and ask others; the time is the clock's, so a
    retry at a later time is still the same request."""

    kind = "expire_rating_requests"
    article_id: str


def fingerprint_parts(command: Command) -> list[Any]:
    """What makes a retry "the same request": the command's kind and its fields."""
    parts: list[Any] = [command.kind]
    for each in fields(command):
        if each.name == "expected_version":
            continue
        value = getattr(command, each.name)
        if each.metadata.get("fingerprint_unless_default") and value == each.default:
            continue
        parts.append(dict(value) if isinstance(value, Mapping) else _listed(value))
    return parts


def _listed(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value
