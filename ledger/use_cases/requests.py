"""Rating requests: an editor assigns an article's disciplines (requests go out in the same
append), raters set their profile or pause, and overdue requests expire and are replaced.

The rater pool is read from the views in the command's own transaction; the time is the
runner's clock, read once per command and kept in the events.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime

from ledger.domain import articles, raters
from ledger.domain import requests as rules
from ledger.domain.commands import (
    AssignDisciplines,
    Command,
    ExpireArticleRequests,
    PauseRatingRequests,
    RegisterArticle,
    ResumeRatingRequests,
    SetRaterProfile,
)
from ledger.domain.errors import DomainError
from ledger.domain.events import ArticleRegistered, DomainEvent
from ledger.domain.validation import check_texts
from ledger.store.event_store import CommitUnknown, LedgerTransaction, TransactionLost
from ledger.store.records import Actor, AppendResult
from ledger.use_cases.raters import registered_discipline
from ledger.use_cases.runner import Decision, DomainIds, Runner, check_expected, named_by
from ledger.use_cases.vocabulary import read_vocabulary

__all__ = [
    "assign_disciplines",
    "expire_article_requests",
    "expire_rating_requests",
    "pause_rating_requests",
    "register_assigned",
    "resume_rating_requests",
    "set_rater_profile",
]


class _NothingDue(DomainError):
    """The article's overdue requests were answered or expired meanwhile."""


async def assign_disciplines(
    runner: Runner, command: AssignDisciplines, actor: Actor, idempotency_key: str | None
) -> AppendResult:
    async def plan(tx: LedgerTransaction) -> Decision:
        stream = articles.stream_id(command.article_id)
        history = await tx.read_stream(stream)
        check_expected(stream, command.expected_version, history)
        state = articles.fold(runner.decode(history))
        decided = await _assigned(runner, tx, state, command.article_id, command)
        return Decision(stream, len(history), decided)

    return await runner.run(command, plan, actor, idempotency_key, ids=_article(command.article_id))


async def register_assigned(
    runner: Runner,
    command: RegisterArticle,
    article_id: str,
    actor: Actor,
    idempotency_key: str | None,
) -> AppendResult:
    """Register an article with its disciplines: the registration, the assignment and the
    requests in one append."""

    async def plan(tx: LedgerTransaction) -> Decision:
        stream = articles.stream_id(article_id)
        history = await tx.read_stream(stream)
        known = await read_vocabulary(runner, tx, command.topics)
        state = articles.fold(runner.decode(history))
        decided = articles.decide_register(
            state, article_id, command.citation, command.topics, known
        )
        registered = articles.fold(decided)
        decided += await _assigned(runner, tx, registered, article_id, command)
        return Decision(stream, len(history), decided)

    ids = named_by(ArticleRegistered, lambda e: DomainIds(article_id=e.article_id))
    return await runner.run(command, plan, actor, idempotency_key, ids=ids)


async def _assigned(
    runner: Runner,
    tx: LedgerTransaction,
    state: articles.Article | None,
    article_id: str,
    command: AssignDisciplines | RegisterArticle,
) -> list[DomainEvent]:
    names = check_texts("disciplines", command.disciplines, limit=100, most=20)
    spellings = {name: await registered_discipline(runner, tx, name) for name in names}
    enrolled = None  # the author raters named before are kept
    if command.author_raters is not None:
        authors = rules.check_author_raters(command.author_raters)
        enrolled = {rater_id: await _is_enrolled(runner, tx, rater_id) for rater_id in authors}
    now = runner.clock()
    known = [s for s in spellings.values() if s is not None]
    pool = await runner.views.rater_pool(tx, known, rules.month_start(now))
    return rules.decide_assign_disciplines(
        state, article_id, spellings, command.populations, pool, runner.requests, now, enrolled
    )


async def _is_enrolled(runner: Runner, tx: LedgerTransaction, rater_id: str) -> bool:
    # From the rater's stream: the pool holds only raters of the assigned disciplines, and an
    # author may rate in another.
    history = await tx.read_stream(raters.rater_stream_id(rater_id))
    return raters.fold_enrolment(runner.decode(history)) is not None


async def set_rater_profile(
    runner: Runner, command: SetRaterProfile, actor: Actor, idempotency_key: str | None
) -> AppendResult:
    def decide(profile: rules.RaterProfile | None) -> list[DomainEvent]:
        return rules.decide_set_profile(
            profile, command.rater_id, command.populations, command.monthly_limit
        )

    return await _on_profile(runner, command, command.rater_id, decide, actor, idempotency_key)


async def pause_rating_requests(
    runner: Runner, command: PauseRatingRequests, actor: Actor, idempotency_key: str | None
) -> AppendResult:
    def decide(profile: rules.RaterProfile | None) -> list[DomainEvent]:
        return rules.decide_pause(profile, command.rater_id)

    return await _on_profile(runner, command, command.rater_id, decide, actor, idempotency_key)


async def resume_rating_requests(
    runner: Runner, command: ResumeRatingRequests, actor: Actor, idempotency_key: str | None
) -> AppendResult:
    def decide(profile: rules.RaterProfile | None) -> list[DomainEvent]:
        return rules.decide_resume(profile, command.rater_id)

    return await _on_profile(runner, command, command.rater_id, decide, actor, idempotency_key)


async def _on_profile(
    runner: Runner,
    command: Command,
    rater_id: str,
    decide: Callable[[rules.RaterProfile | None], list[DomainEvent]],
    actor: Actor,
    idempotency_key: str | None,
) -> AppendResult:
    async def plan(tx: LedgerTransaction) -> Decision:
        stream = raters.rater_stream_id(rater_id)
        history = await tx.read_stream(stream)
        return Decision(stream, len(history), decide(rules.fold_profile(runner.decode(history))))

    def the_rater(_: Sequence[DomainEvent]) -> DomainIds:
        return DomainIds(rater_id=rater_id)

    return await runner.run(command, plan, actor, idempotency_key, ids=the_rater)


async def expire_article_requests(
    runner: Runner,
    command: ExpireArticleRequests,
    actor: Actor,
    idempotency_key: str | None,
    due_by: datetime | None = None,
) -> AppendResult:
    """Expire one article's requests due by ``due_by`` (else now) and ask others, now."""

    async def plan(tx: LedgerTransaction) -> Decision:
        now = runner.clock()
        stream = articles.stream_id(command.article_id)
        history = await tx.read_stream(stream)
        state = articles.fold(runner.decode(history))
        disciplines = state.disciplines if state is not None else ()
        pool = await runner.views.rater_pool(tx, disciplines, rules.month_start(now))
        decided = rules.decide_expire_requests(
            state, command.article_id, pool, runner.requests, now, due_by
        )
        if not decided:
            raise _NothingDue(f"no request of article {command.article_id!r} is overdue")
        return Decision(stream, len(history), decided)

    return await runner.run(command, plan, actor, idempotency_key, ids=_article(command.article_id))


async def expire_rating_requests(
    runner: Runner, actor: Actor, idempotency_key: str | None
) -> list[AppendResult]:
    """Expire every overdue request by one reading of the clock, one append per article.

    Under an idempotency key the sweep is kept (its moment and the articles overdue then)
    before any article is touched, and each article's append has a key of its own made from
    it: a retry, or a sweep interrupted part way, does that very sweep again, so the
    articles already done answer with their first answer, those not reached yet have what
    was due by the first moment expired (the raters in their place asked now, due from
    now), and nothing that fell overdue since is swept by it."""
    moment, overdue = await _sweep(runner, actor, idempotency_key)
    done: list[AppendResult] = []
    for article_id in overdue:
        key = None if idempotency_key is None else _article_key(idempotency_key, article_id)
        command = ExpireArticleRequests(article_id)
        try:
            done.append(await expire_article_requests(runner, command, actor, key, moment))
        except _NothingDue:
            continue
    return done


async def _sweep(
    runner: Runner, actor: Actor, idempotency_key: str | None
) -> tuple[datetime, list[str]]:
    """The sweep's moment and overdue articles: those kept under the key, else read now
    (and kept, under the ledger's head so that two sweeps with one key keep one).

    Its transaction lost, or its commit's answer, it is read again, as the runner decides a
    write again: under a key it then finds the sweep it kept, if the commit was made (or
    keeps one now); without a key it wrote nothing."""
    for attempt in range(runner.conflict_retries + 1):
        try:
            return await _sweep_once(runner, actor, idempotency_key)
        except (TransactionLost, CommitUnknown):
            if attempt == runner.conflict_retries:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


async def _sweep_once(
    runner: Runner, actor: Actor, idempotency_key: str | None
) -> tuple[datetime, list[str]]:
    async with runner.store.transaction() as tx:
        if idempotency_key is not None:
            await runner.views.begin(tx, pessimistic=True)
            kept = await runner.views.sweep_of(tx, actor.id, idempotency_key)
            if kept is not None:
                return rules.from_instant(kept[0]), kept[1]
        # To the second, as the events keep times: a retry's moment is the very same.
        moment = rules.instant(runner.clock())
        overdue = await runner.views.overdue_articles(tx, moment)
        if idempotency_key is not None:
            await runner.views.record_sweep(tx, actor.id, idempotency_key, moment, overdue)
        return rules.from_instant(moment), overdue


def _article_key(idempotency_key: str, article_id: str) -> str:
    # A fixed width whatever the lengths: the store keeps keys of at most 200 characters.
    return hashlib.sha256(f"{idempotency_key}\n{article_id}".encode()).hexdigest()


def _article(article_id: str) -> Callable[[Sequence[DomainEvent]], DomainIds]:
    def the_article(_: Sequence[DomainEvent]) -> DomainIds:
        return DomainIds(article_id=article_id)

    return the_article
