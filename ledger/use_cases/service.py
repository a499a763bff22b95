"""``EvidenceLedger``: the ledger's commands behind one object, each run by the runner.

``execute`` takes any command dataclass (``ledger.domain.commands``) and runs its use case;
the keyword methods below build the command for callers that hold plain values (the sample
loader, the importer, the tests).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from ledger.domain import raters as rater_rules
from ledger.domain.commands import (
    UNCHANGED,
    ChangeTopics,
    ClearAlertProfile,
    Command,
    CorrectArticle,
    EnrolRater,
    HideComment,
    PostComment,
    RegisterArticle,
    RegisterDiscipline,
    RegisterStudyType,
    RestoreComment,
    RetractArticle,
    ReviseRating,
    SetAlertProfile,
    SubmitRating,
    Unchanged,
    WithdrawRating,
)
from ledger.projections.projector import Projector
from ledger.store.records import Actor, AppendResult
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases import alerts, articles, comments, raters, ratings, vocabulary
from ledger.use_cases.runner import Runner, Store, Views
from ledger.use_cases.sql_views import SqlViews

__all__ = ["USE_CASES", "EvidenceLedger"]

UseCase = Callable[[Runner, Any, Actor, str | None], Awaitable[AppendResult]]

# Each command's use case: the one table ``execute`` dispatches on.
USE_CASES: Mapping[type[Command], UseCase] = {
    RegisterDiscipline: raters.register_discipline,
    EnrolRater: raters.enrol_rater,
    RegisterStudyType: vocabulary.register_study_type,
    RegisterArticle: articles.register_article,
    CorrectArticle: articles.correct_article,
    ChangeTopics: articles.change_topics,
    RetractArticle: articles.retract_article,
    SubmitRating: ratings.submit_rating,
    ReviseRating: ratings.revise_rating,
    WithdrawRating: ratings.withdraw_rating,
    PostComment: comments.post_comment,
    HideComment: comments.hide_comment,
    RestoreComment: comments.restore_comment,
    SetAlertProfile: alerts.set_alert_profile,
    ClearAlertProfile: alerts.clear_alert_profile,
}


class EvidenceLedger:
    """The commands of one ledger. On a SQL store the views are its tables (``projector``);
    any other store (the in-memory one) comes with its own ``views``."""

    def __init__(
        self,
        store: SQLEventStore | Store,
        projector: Projector | None = None,
        *,
        views: Views | None = None,
        conflict_retries: int = 5,
    ) -> None:
        self.store = store
        self.projector = projector or Projector(registry=store.registry)
        if views is None:
            assert isinstance(store, SQLEventStore), "a store of another kind brings its views"
            views = SqlViews(store, self.projector)
        self.runner = Runner(store, views, conflict_retries=conflict_retries)

    async def execute(
        self, command: Command, *, actor: Actor, idempotency_key: str | None = None
    ) -> AppendResult:
        """Decide, append and project ``command``; the answer carries its domain ids."""
        return await USE_CASES[type(command)](self.runner, command, actor, idempotency_key)

    async def enrolment(self, rater_id: str) -> rater_rules.Enrolment:
        """A rater's enrolment, folded from their stream."""
        return await raters.enrolment(self.runner, rater_id)

    async def study_types(self) -> tuple[str, ...]:
        """The study types articles may have: the reference list, then those editors added."""
        return await vocabulary.study_types(self.runner)

    # -- the commands with plain arguments ------------------------------------------------

    async def register_discipline(
        self, name: str, *, actor: Actor, idempotency_key: str | None = None
    ) -> AppendResult:
        return await self.execute(
            RegisterDiscipline(name), actor=actor, idempotency_key=idempotency_key
        )

    async def enrol_rater(
        self,
        *,
        discipline: str,
        display_name: str | None = None,
        email: str | None = None,
        rater_id: str | None = None,
        actor: Actor,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        command = EnrolRater(discipline, display_name, email, rater_id)
        return await self.execute(command, actor=actor, idempotency_key=idempotency_key)

    async def register_study_type(
        self, name: str, *, actor: Actor, idempotency_key: str | None = None
    ) -> AppendResult:
        return await self.execute(
            RegisterStudyType(name), actor=actor, idempotency_key=idempotency_key
        )

    async def register_article(
        self,
        *,
        citation: Mapping[str, Any],
        topics: list[str],
        article_id: str | None = None,
        actor: Actor,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        command = RegisterArticle(citation, topics, article_id)
        return await self.execute(command, actor=actor, idempotency_key=idempotency_key)

    async def correct_article(
        self,
        article_id: str,
        changes: Mapping[str, Any],
        reason: str,
        *,
        topics: list[str] | None = None,
        actor: Actor,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> AppendResult:
        command = CorrectArticle(article_id, changes, reason, topics, expected_version)
        return await self.execute(command, actor=actor, idempotency_key=idempotency_key)

    async def change_topics(
        self,
        article_id: str,
        topics: list[str],
        *,
        actor: Actor,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> AppendResult:
        command = ChangeTopics(article_id, topics, expected_version)
        return await self.execute(command, actor=actor, idempotency_key=idempotency_key)

    async def retract_article(
        self,
        article_id: str,
        reason: str,
        *,
        actor: Actor,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> AppendResult:
        command = RetractArticle(article_id, reason, expected_version)
        return await self.execute(command, actor=actor, idempotency_key=idempotency_key)

    async def submit_rating(
        self,
        article_id: str,
        rater_id: str,
        relevance: int,
        newsworthiness: int,
        comment: str | None = None,
        *,
        actor: Actor,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        command = SubmitRating(article_id, rater_id, relevance, newsworthiness, comment)
        return await self.execute(command, actor=actor, idempotency_key=idempotency_key)

    async def revise_rating(
        self,
        article_id: str,
        rater_id: str,
        relevance: int,
        newsworthiness: int,
        comment: str | Unchanged | None = UNCHANGED,
        *,
        actor: Actor,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> AppendResult:
        """Revise the rater's active rating; the comment is kept unless given (None clears it)."""
        command = ReviseRating(
            article_id, rater_id, relevance, newsworthiness, comment, expected_version
        )
        return await self.execute(command, actor=actor, idempotency_key=idempotency_key)

    async def withdraw_rating(
        self,
        article_id: str,
        rater_id: str,
        *,
        actor: Actor,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> AppendResult:
        command = WithdrawRating(article_id, rater_id, expected_version)
        return await self.execute(command, actor=actor, idempotency_key=idempotency_key)

    async def post_comment(
        self,
        article_id: str,
        author_id: str,
        body: str,
        *,
        actor: Actor,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        command = PostComment(article_id, author_id, body)
        return await self.execute(command, actor=actor, idempotency_key=idempotency_key)

    async def hide_comment(
        self,
        article_id: str,
        comment_id: str,
        reason: str,
        *,
        actor: Actor,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> AppendResult:
        command = HideComment(article_id, comment_id, reason, expected_version)
        return await self.execute(command, actor=actor, idempotency_key=idempotency_key)

    async def restore_comment(
        self,
        article_id: str,
        comment_id: str,
        reason: str,
        *,
        actor: Actor,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> AppendResult:
        command = RestoreComment(article_id, comment_id, reason, expected_version)
        return await self.execute(command, actor=actor, idempotency_key=idempotency_key)
