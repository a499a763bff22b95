"""``EvidenceLedger``: the ledger's commands behind one object, each run by the runner.

``execute`` takes any command dataclass (``ledger.domain.commands``) and runs its use case:
callers build the command, so a command's arguments are declared once, on its dataclass.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from ledger.domain import raters as rater_rules
from ledger.domain.commands import (
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
    WithdrawRating,
)
from ledger.domain.scores import ScorePolicy
from ledger.projections.projector import Projector
from ledger.store.event_store import EventStore
from ledger.store.records import Actor, AppendResult
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases import alerts, articles, comments, raters, ratings, vocabulary
from ledger.use_cases.runner import Runner, Views
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
        store: EventStore,
        projector: Projector | None = None,
        *,
        views: Views | None = None,
        conflict_retries: int = 5,
        policy: ScorePolicy | None = None,
    ) -> None:
        self.store = store
        # ``policy``: the deployment's, by which the alerts projection decides.
        self.projector = projector or Projector(registry=store.registry, policy=policy)
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
