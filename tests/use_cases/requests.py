"""The requests every use case is tested with: a world to run them in, the refusals (each
must change nothing) and the accepted requests (each, retried, must be answered once).

The in-memory tests (``test_requests.py``) run them all; the SQL tests (``tests/store/
test_service.py``) run those whose plan touches what the database does differently.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ledger.domain.commands import (
    AssignDisciplines,
    ChangeTopics,
    CorrectArticle,
    EnrolRater,
    HideComment,
    PauseRatingRequests,
    PostComment,
    RegisterArticle,
    RegisterDiscipline,
    RestoreComment,
    ResumeRatingRequests,
    RetractArticle,
    ReviseRating,
    SetRaterProfile,
    SubmitRating,
    WithdrawRating,
)
from ledger.domain.errors import (
    AlreadyExists,
    AlreadyRetracted,
    ArticleIsRetracted,
    DomainError,
    DuplicateRating,
    NoActiveRating,
    NotFound,
    ValidationFailed,
    WrongCommentState,
    WrongPauseState,
)
from ledger.store.records import AppendResult
from ledger.use_cases.service import EvidenceLedger
from tests.store.ledgers import EDITOR, citation, rater, register, subscriber

PHYSICIANS = {f"p{n}": "Physician" for n in range(1, 5)}
NURSES = {f"n{n}": "Nurse" for n in range(1, 4)}


async def rate(
    ledger: EvidenceLedger,
    article_id: str,
    rater_id: str,
    relevance: int,
    newsworthiness: int,
    comment: str | None = None,
) -> AppendResult:
    return await ledger.execute(
        SubmitRating(article_id, rater_id, relevance, newsworthiness, comment),
        actor=rater(rater_id),
    )


@dataclass(frozen=True)
class World:
    """An article "a1" rated by p1 with a visible and a hidden subscriber comment, and a
    retracted article "gone"."""

    visible_comment: str
    hidden_comment: str


async def populate(ledger: EvidenceLedger) -> World:
    """Into a ledger with ``PHYSICIANS`` and ``NURSES`` enrolled."""
    await register(ledger, "a1", topics=["Back Pain", "Sciatica"])
    await register(ledger, "gone", topics=["Back Pain"])
    await rate(ledger, "a1", "p1", 5, 5, "p1 says")
    await rate(ledger, "gone", "p1", 3, 3)
    await ledger.execute(RetractArticle("gone", "Duplicate publication"), actor=EDITOR)
    posted = await ledger.execute(PostComment("a1", "s1", "Useful."), actor=subscriber("s1"))
    spam = await ledger.execute(PostComment("a1", "s2", "Buy now"), actor=subscriber("s2"))
    assert posted.comment_id is not None
    assert spam.comment_id is not None
    await ledger.execute(HideComment("a1", spam.comment_id, "advertising"), actor=EDITOR)
    return World(posted.comment_id, spam.comment_id)


Call = Callable[[EvidenceLedger, World, str], Awaitable[Any]]

REFUSALS: list[tuple[str, Call, type[DomainError]]] = [
    (
        "rating by an unknown rater",
        lambda ledger, w, key: ledger.execute(
            SubmitRating("a1", "nobody", 5, 5), actor=rater("nobody"), idempotency_key=key
        ),
        NotFound,
    ),
    (
        "rating an unknown article",
        lambda ledger, w, key: ledger.execute(
            SubmitRating("missing", "p2", 5, 5), actor=rater("p2"), idempotency_key=key
        ),
        NotFound,
    ),
    (
        "a second active rating by the same rater",
        lambda ledger, w, key: ledger.execute(
            SubmitRating("a1", "p1", 6, 6), actor=rater("p1"), idempotency_key=key
        ),
        DuplicateRating,
    ),
    (
        "rating a retracted article",
        lambda ledger, w, key: ledger.execute(
            SubmitRating("gone", "p2", 6, 6), actor=rater("p2"), idempotency_key=key
        ),
        ArticleIsRetracted,
    ),
    (
        "relevance above 7",
        lambda ledger, w, key: ledger.execute(
            SubmitRating("a1", "p2", 8, 5), actor=rater("p2"), idempotency_key=key
        ),
        ValidationFailed,
    ),
    (
        "newsworthiness below 1",
        lambda ledger, w, key: ledger.execute(
            SubmitRating("a1", "p2", 5, 0), actor=rater("p2"), idempotency_key=key
        ),
        ValidationFailed,
    ),
    (
        "a blank rating comment",
        lambda ledger, w, key: ledger.execute(
            SubmitRating("a1", "p2", 5, 5, "   "), actor=rater("p2"), idempotency_key=key
        ),
        ValidationFailed,
    ),
    (
        "an oversized rating comment",
        lambda ledger, w, key: ledger.execute(
            SubmitRating("a1", "p2", 5, 5, "x" * 5001), actor=rater("p2"), idempotency_key=key
        ),
        ValidationFailed,
    ),
    (
        "revising without an active rating",
        lambda ledger, w, key: ledger.execute(
            ReviseRating("a1", "p2", 5, 5), actor=rater("p2"), idempotency_key=key
        ),
        NoActiveRating,
    ),
    (
        "revising to the same rating",
        lambda ledger, w, key: ledger.execute(
            ReviseRating("a1", "p1", 5, 5, "p1 says"), actor=rater("p1"), idempotency_key=key
        ),
        ValidationFailed,
    ),
    (
        "withdrawing without an active rating",
        lambda ledger, w, key: ledger.execute(
            WithdrawRating("a1", "n1"), actor=rater("n1"), idempotency_key=key
        ),
        NoActiveRating,
    ),
    (
        "an empty subscriber comment",
        lambda ledger, w, key: ledger.execute(
            PostComment("a1", "s1", ""), actor=subscriber("s1"), idempotency_key=key
        ),
        ValidationFailed,
    ),
    (
        "a comment on an unknown article",
        lambda ledger, w, key: ledger.execute(
            PostComment("missing", "s1", "Hello"), actor=subscriber("s1"), idempotency_key=key
        ),
        NotFound,
    ),
    (
        "hiding a hidden comment",
        lambda ledger, w, key: ledger.execute(
            HideComment("a1", w.hidden_comment, "again"), actor=EDITOR, idempotency_key=key
        ),
        WrongCommentState,
    ),
    (
        "restoring a visible comment",
        lambda ledger, w, key: ledger.execute(
            RestoreComment("a1", w.visible_comment, "why"), actor=EDITOR, idempotency_key=key
        ),
        WrongCommentState,
    ),
    (
        "hiding an unknown comment",
        lambda ledger, w, key: ledger.execute(
            HideComment("a1", "a1.c999", "spam"), actor=EDITOR, idempotency_key=key
        ),
        NotFound,
    ),
    (
        "retracting twice",
        lambda ledger, w, key: ledger.execute(
            RetractArticle("gone", "again"), actor=EDITOR, idempotency_key=key
        ),
        AlreadyRetracted,
    ),
    (
        "registering an existing article",
        lambda ledger, w, key: ledger.execute(
            RegisterArticle(article_id="a1", citation=citation(), topics=["X"]),
            actor=EDITOR,
            idempotency_key=key,
        ),
        AlreadyExists,
    ),
    (
        "a correction that changes nothing",
        lambda ledger, w, key: ledger.execute(
            CorrectArticle("a1", {"pages": "101-110"}, "no-op"), actor=EDITOR, idempotency_key=key
        ),
        ValidationFailed,
    ),
    (
        "correcting a field that is not a citation field",
        lambda ledger, w, key: ledger.execute(
            CorrectArticle("a1", {"rating": 7}, "nope"), actor=EDITOR, idempotency_key=key
        ),
        ValidationFailed,
    ),
    (
        "a malformed DOI in a correction",
        lambda ledger, w, key: ledger.execute(
            CorrectArticle("a1", {"doi": "not a doi"}, "typo"), actor=EDITOR, idempotency_key=key
        ),
        ValidationFailed,
    ),
    (
        "changing topics to the same topics",
        lambda ledger, w, key: ledger.execute(
            ChangeTopics("a1", ["Back Pain", "Sciatica"]), actor=EDITOR, idempotency_key=key
        ),
        ValidationFailed,
    ),
    (
        "enrolling an enrolled rater",
        lambda ledger, w, key: ledger.execute(
            EnrolRater(rater_id="p1", discipline="Nurse", display_name="Someone"),
            actor=EDITOR,
            idempotency_key=key,
        ),
        AlreadyExists,
    ),
    (
        "enrolling in an unknown discipline",
        lambda ledger, w, key: ledger.execute(
            EnrolRater(discipline="Astrologer", display_name="Someone"),
            actor=EDITOR,
            idempotency_key=key,
        ),
        NotFound,
    ),
    (
        "registering a discipline twice",
        lambda ledger, w, key: ledger.execute(
            RegisterDiscipline("Nurse"), actor=EDITOR, idempotency_key=key
        ),
        AlreadyExists,
    ),
    (
        "assigning an unknown discipline",
        lambda ledger, w, key: ledger.execute(
            AssignDisciplines("a1", ["Wizard"]), actor=EDITOR, idempotency_key=key
        ),
        NotFound,
    ),
    (
        "a monthly request limit of 100",
        lambda ledger, w, key: ledger.execute(
            SetRaterProfile("p2", monthly_limit=100), actor=rater("p2"), idempotency_key=key
        ),
        ValidationFailed,
    ),
    (
        "resuming requests that were never paused",
        lambda ledger, w, key: ledger.execute(
            ResumeRatingRequests("p2"), actor=rater("p2"), idempotency_key=key
        ),
        WrongPauseState,
    ),
]


REQUESTS: list[tuple[str, Call]] = [
    (
        "submit_rating",
        lambda ledger, w, key: ledger.execute(
            SubmitRating("a1", "p2", 6, 4, "Good."), actor=rater("p2"), idempotency_key=key
        ),
    ),
    (
        "revise_rating",
        lambda ledger, w, key: ledger.execute(
            ReviseRating("a1", "p1", 3, 3), actor=rater("p1"), idempotency_key=key
        ),
    ),
    (
        "withdraw_rating",
        lambda ledger, w, key: ledger.execute(
            WithdrawRating("a1", "p1"), actor=rater("p1"), idempotency_key=key
        ),
    ),
    (
        "post_comment",
        lambda ledger, w, key: ledger.execute(
            PostComment("a1", "s9", "Hello"), actor=subscriber("s9"), idempotency_key=key
        ),
    ),
    (
        "hide_comment",
        lambda ledger, w, key: ledger.execute(
            HideComment("a1", w.visible_comment, "spam"), actor=EDITOR, idempotency_key=key
        ),
    ),
    (
        "restore_comment",
        lambda ledger, w, key: ledger.execute(
            RestoreComment("a1", w.hidden_comment, "fine"), actor=EDITOR, idempotency_key=key
        ),
    ),
    (
        "register_article",
        lambda ledger, w, key: ledger.execute(
            RegisterArticle(citation=citation(), topics=["Asthma"]),
            actor=EDITOR,
            idempotency_key=key,
        ),
    ),
    (
        "correct_article",
        lambda ledger, w, key: ledger.execute(
            CorrectArticle("a1", {"title": "Fixed"}, "typo"), actor=EDITOR, idempotency_key=key
        ),
    ),
    (
        "change_topics",
        lambda ledger, w, key: ledger.execute(
            ChangeTopics("a1", ["Asthma"]), actor=EDITOR, idempotency_key=key
        ),
    ),
    (
        "retract_article",
        lambda ledger, w, key: ledger.execute(
            RetractArticle("a1", "fraud"), actor=EDITOR, idempotency_key=key
        ),
    ),
    (
        "enrol_rater",
        lambda ledger, w, key: ledger.execute(
            EnrolRater(discipline="Nurse", display_name="N. Ew"), actor=EDITOR, idempotency_key=key
        ),
    ),
    (
        "register_discipline",
        lambda ledger, w, key: ledger.execute(
            RegisterDiscipline("Pharmacist"), actor=EDITOR, idempotency_key=key
        ),
    ),
    (
        "assign_disciplines",
        lambda ledger, w, key: ledger.execute(
            AssignDisciplines("a1", ["Physician", "Nurse"]), actor=EDITOR, idempotency_key=key
        ),
    ),
    (
        "set_rater_profile",
        lambda ledger, w, key: ledger.execute(
            SetRaterProfile("p2", ["Adults"], 6), actor=rater("p2"), idempotency_key=key
        ),
    ),
    (
        "pause_rating_requests",
        lambda ledger, w, key: ledger.execute(
            PauseRatingRequests("p2"), actor=EDITOR, idempotency_key=key
        ),
    ),
]
