"""The editors' commands on an article: register, correct, change topics, retract."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

from ledger.domain import articles
from ledger.domain.commands import (
    ChangeTopics,
    Command,
    CorrectArticle,
    RegisterArticle,
    RetractArticle,
)
from ledger.domain.events import ArticleRegistered, DomainEvent
from ledger.domain.vocabulary import REFERENCE_VOCABULARY, Vocabulary
from ledger.store.event_store import LedgerTransaction
from ledger.store.records import Actor, AppendResult
from ledger.use_cases.requests import register_assigned
from ledger.use_cases.runner import (
    Decision,
    DomainIds,
    IdsOf,
    Runner,
    check_expected,
    named_by,
)
from ledger.use_cases.vocabulary import read_vocabulary

__all__ = [
    "change_topics",
    "correct_article",
    "on_article",
    "register_article",
    "retract_article",
]

Decide = Callable[[articles.Article | None, Vocabulary], list[DomainEvent]]


async def register_article(
    runner: Runner, command: RegisterArticle, actor: Actor, idempotency_key: str | None
) -> AppendResult:
    article_id = command.article_id or uuid.uuid4().hex[:16]
    # Author raters without disciplines go the same way: the assignment refuses them.
    if command.disciplines or command.author_raters:
        return await register_assigned(runner, command, article_id, actor, idempotency_key)

    def decide(state: articles.Article | None, known: Vocabulary) -> list[DomainEvent]:
        return articles.decide_register(state, article_id, command.citation, command.topics, known)

    # Named from the event: a retry without an article id made a new one, not the first's.
    registered = named_by(ArticleRegistered, lambda e: DomainIds(article_id=e.article_id))
    return await on_article(
        runner,
        command,
        article_id,
        decide,
        actor,
        idempotency_key,
        topics=command.topics,
        ids=registered,
    )


async def correct_article(
    runner: Runner, command: CorrectArticle, actor: Actor, idempotency_key: str | None
) -> AppendResult:
    """Correct citation fields and, if given, replace the topics, in one append."""
    article_id, changes, topics = command.article_id, command.changes, command.topics

    def decide(state: articles.Article | None, known: Vocabulary) -> list[DomainEvent]:
        decided: list[DomainEvent] = []
        if changes or topics is None:
            decided += articles.decide_correct(state, article_id, changes, command.reason, known)
        if topics is not None:
            decided += articles.decide_change_topics(state, article_id, topics, known)
        return decided

    return await on_article(
        runner, command, article_id, decide, actor, idempotency_key, topics=topics or ()
    )


async def change_topics(
    runner: Runner, command: ChangeTopics, actor: Actor, idempotency_key: str | None
) -> AppendResult:
    def decide(state: articles.Article | None, known: Vocabulary) -> list[DomainEvent]:
        return articles.decide_change_topics(state, command.article_id, command.topics, known)

    return await on_article(
        runner, command, command.article_id, decide, actor, idempotency_key, topics=command.topics
    )


async def retract_article(
    runner: Runner, command: RetractArticle, actor: Actor, idempotency_key: str | None
) -> AppendResult:
    def decide(state: articles.Article | None, _: Vocabulary) -> list[DomainEvent]:
        return articles.decide_retract(state, command.article_id, command.reason)

    return await on_article(runner, command, command.article_id, decide, actor, idempotency_key)


async def on_article(
    runner: Runner,
    command: Command,
    article_id: str,
    decide: Decide,
    actor: Actor,
    idempotency_key: str | None,
    *,
    topics: object = None,
    ids: IdsOf | None = None,
) -> AppendResult:
    """Decide on the article's state, read with the command's expected version checked;
    given ``topics``, also on the vocabulary (the study types, and how the ledger spells
    those topics), read in the same transaction. The answer names the article (a command
    that makes another id names it by ``ids``)."""
    expected = getattr(command, "expected_version", None)

    async def plan(tx: LedgerTransaction) -> Decision:
        stream = articles.stream_id(article_id)
        history = await tx.read_stream(stream)
        check_expected(stream, expected, history)
        state = articles.fold(runner.decode(history))
        known = (
            REFERENCE_VOCABULARY if topics is None else await read_vocabulary(runner, tx, topics)
        )
        return Decision(stream, len(history), decide(state, known))

    def the_article(_: Sequence[DomainEvent]) -> DomainIds:
        return DomainIds(article_id=article_id)

    return await runner.run(command, plan, actor, idempotency_key, ids=ids or the_article)
