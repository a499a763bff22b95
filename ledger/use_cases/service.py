"""``EvidenceLedger``: the ledger's commands behind one object, each run by the runner.

``execute`` takes any command dataclass (``ledger.domain.commands``) and runs its use case:
callers build the command, so a command's arguments are declared once, on its dataclass.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from ledger.domain import raters as rater_rules
from ledger.domain.commands import (
    AssignDisciplines,
    ChangeTopics,
    ClearAlertProfile,
    Command,
    CorrectArticle,
    EnrolRater,
    ExpireArticleRequests,
    HideComment,
    PauseRatingRequests,
    PostComment,
    RegisterArticle,
    RegisterDiscipline,
    RegisterStudyType,
    RestoreComment,
    ResumeRatingRequests,
    RetractArticle,
    ReviseRating,
    SetAlertProfile,
    SetRaterProfile,
    SubmitRating,
    WithdrawRating,
)
from ledger.domain.requests import RequestPolicy
from ledger.projections.views import Views
from ledger.store.event_store import EventStore
from ledger.store.records import Actor, AppendResult
from ledger.use_cases import alerts, articles, comments, raters, ratings, requests, vocabulary
from ledger.use_cases.runner import Clock, Runner, utc_now

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
    AssignDisciplines: requests.assign_disciplines,
    SetRaterProfile: requests.set_rater_profile,
    PauseRatingRequests: requests.pause_rating_requests,
    ResumeRatingRequests: requests.resume_rating_requests,
    ExpireArticleRequests: requests.expire_article_requests,
}


class EvidenceLedger:
    """The commands of one ledger: a store and the views made for it (on a SQL store, built
    by ``ledger.use_cases.sql_views.sql_ledger``; in memory, ``MemoryViews``)."""

    def __init__(
        self,
        store: EventStore,
        views: Views,
        *,
        conflict_retries: int = 5,
        requests: RequestPolicy | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.store = store
        self.views = views
        self.runner = Runner(
            store, views, conflict_retries=conflict_retries, requests=requests, clock=clock
        )

    async def execute(
        self, command: Command, *, actor: Actor, idempotency_key: str | None = None
    ) -> AppendResult:
        """Decide, append and project ``command``; the answer carries its domain ids."""
        return await USE_CASES[type(command)](self.runner, command, actor, idempotency_key)

    async def expire_requests(
        self, *, actor: Actor, idempotency_key: str | None = None
    ) -> list[AppendResult]:
        """Expire every overdue request, by the clock, and ask other raters in their place;
        one append per article concerned."""
        return await requests.expire_rating_requests(self.runner, actor, idempotency_key)

    async def catch_up(self) -> None:
        """Bring the views up to the log (at start-up, after a migration on an old ledger)."""
        await self.views.catch_up()

    async def enrolment(self, rater_id: str) -> rater_rules.Enrolment:
        """A rater's enrolment, folded from their stream."""
        return await raters.enrolment(self.runner, rater_id)

    async def study_types(self) -> tuple[str, ...]:
        """The study types articles may have: the reference list, then those editors added."""
        return await vocabulary.study_types(self.runner)
