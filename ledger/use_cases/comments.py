"""Comments: a subscriber posts one; an editor hides or restores it, with a reason."""

from __future__ import annotations

from ledger.domain import articles, comments
from ledger.domain.commands import HideComment, PostComment, RestoreComment
from ledger.domain.events import DomainEvent
from ledger.domain.vocabulary import Vocabulary
from ledger.store.records import Actor, AppendResult
from ledger.use_cases.articles import on_article
from ledger.use_cases.runner import Runner

__all__ = ["hide_comment", "post_comment", "restore_comment"]


async def post_comment(
    runner: Runner, command: PostComment, actor: Actor, idempotency_key: str | None
) -> AppendResult:
    def decide(state: articles.Article | None, _: Vocabulary) -> list[DomainEvent]:
        return comments.decide_post_comment(
            state, command.article_id, command.author_id, command.body
        )

    return await on_article(runner, command, command.article_id, decide, actor, idempotency_key)


async def hide_comment(
    runner: Runner, command: HideComment, actor: Actor, idempotency_key: str | None
) -> AppendResult:
    def decide(state: articles.Article | None, _: Vocabulary) -> list[DomainEvent]:
        return comments.decide_hide_comment(
            state, command.article_id, command.comment_id, command.reason
        )

    return await on_article(runner, command, command.article_id, decide, actor, idempotency_key)


async def restore_comment(
    runner: Runner, command: RestoreComment, actor: Actor, idempotency_key: str | None
) -> AppendResult:
    def decide(state: articles.Article | None, _: Vocabulary) -> list[DomainEvent]:
        return comments.decide_restore_comment(
            state, command.article_id, command.comment_id, command.reason
        )

    return await on_article(runner, command, command.article_id, decide, actor, idempotency_key)
