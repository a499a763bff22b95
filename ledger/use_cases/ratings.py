"""A rater's commands: submit, revise and withdraw their rating of an article.

The discipline comes from the rater's enrolment, read in the same transaction, never from
the request. A submission answers the rater's request, if they had one; while their
discipline is short of ratings, the same append asks another rater (the assignment rule's
top-up).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ledger.domain import articles, raters, ratings, requests
from ledger.domain.commands import ReviseRating, SubmitRating, WithdrawRating
from ledger.domain.errors import NotFound
from ledger.domain.events import DomainEvent, RatingRevised, RatingSubmitted, RatingWithdrawn
from ledger.store.event_store import LedgerTransaction
from ledger.store.records import Actor, AppendResult
from ledger.use_cases.runner import Decision, DomainIds, Runner, check_expected

__all__ = ["revise_rating", "submit_rating", "withdraw_rating"]

Decide = Callable[[articles.Article | None, articles.Rater], list[DomainEvent]]


async def submit_rating(
    runner: Runner, command: SubmitRating, actor: Actor, idempotency_key: str | None
) -> AppendResult:
    def decide(state: articles.Article | None, rater: articles.Rater) -> list[DomainEvent]:
        return ratings.decide_submit_rating(
            state,
            command.article_id,
            rater,
            command.relevance,
            command.newsworthiness,
            command.comment,
            command.newsworthiness_unknown,
            command.beyond_expertise,
            rating_without_request=runner.requests.rating_without_request,
        )

    return await _rate(runner, command, decide, actor, idempotency_key)


async def revise_rating(
    runner: Runner, command: ReviseRating, actor: Actor, idempotency_key: str | None
) -> AppendResult:
    """Revise the rater's active rating; the comment is kept unless given (None clears it)."""

    def decide(state: articles.Article | None, rater: articles.Rater) -> list[DomainEvent]:
        return ratings.decide_revise_rating(
            state,
            command.article_id,
            rater,
            command.relevance,
            command.newsworthiness,
            command.comment,
            command.newsworthiness_unknown,
            command.beyond_expertise,
        )

    return await _rate(runner, command, decide, actor, idempotency_key)


async def withdraw_rating(
    runner: Runner, command: WithdrawRating, actor: Actor, idempotency_key: str | None
) -> AppendResult:
    def decide(state: articles.Article | None, rater: articles.Rater) -> list[DomainEvent]:
        return ratings.decide_withdraw_rating(state, command.article_id, rater)

    return await _rate(runner, command, decide, actor, idempotency_key)


async def _rate(
    runner: Runner,
    command: SubmitRating | ReviseRating | WithdrawRating,
    decide: Decide,
    actor: Actor,
    idempotency_key: str | None,
) -> AppendResult:
    expected = getattr(command, "expected_version", None)

    async def plan(tx: LedgerTransaction) -> Decision:
        # The discipline comes from the enrolment, never from the request.
        enrolment = raters.fold_enrolment(
            runner.decode(await tx.read_stream(raters.rater_stream_id(command.rater_id)))
        )
        if enrolment is None:
            raise NotFound("rater", command.rater_id)
        rater = articles.Rater(command.rater_id, enrolment.discipline)
        stream = articles.stream_id(command.article_id)
        history = await tx.read_stream(stream)
        check_expected(stream, expected, history)
        state = articles.fold(runner.decode(history))
        decided = decide(state, rater)
        if isinstance(command, SubmitRating) and state is not None:
            decided += await _top_up(runner, tx, state, decided, rater.discipline)
        return Decision(stream, len(history), decided)

    return await runner.run(command, plan, actor, idempotency_key, ids=_rating_named)


async def _top_up(
    runner: Runner,
    tx: LedgerTransaction,
    state: articles.Article,
    decided: list[DomainEvent],
    discipline: str,
) -> list[DomainEvent]:
    """An answer closes the rater's request: while their discipline (an assigned one) is
    short of ratings, another rater is asked in the same append."""
    if discipline not in state.disciplines:
        return []
    answered = state
    for event in decided:
        answered = articles.evolve(answered, event)
    if discipline not in requests.wanted_requests(answered, runner.requests):
        return []  # the discipline has its ratings, or enough raters asked: no pool to read
    now = runner.clock()
    pool = await runner.views.rater_pool(tx, [discipline], requests.month_start(now))
    return requests.decide_requests(answered, pool, runner.requests, now)


def _rating_named(events: Sequence[DomainEvent]) -> DomainIds:
    """The rating submitted, revised or withdrawn (its id is made while deciding a
    submission), its article and its rater."""
    for e in events:
        if isinstance(e, RatingSubmitted | RatingRevised | RatingWithdrawn):
            return DomainIds(article_id=e.article_id, rating_id=e.rating_id, rater_id=e.rater_id)
    raise AssertionError("a rating command appends a rating event")
