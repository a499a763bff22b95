"""Comments: a subscriber posts one; an editor hides or restores it, with a reason."""

from __future__ import annotations

from collections.abc import Sequence

from ledger.domain import articles, comments
from ledger.domain.commands import HideComment, PostComment, RestoreComment
from ledger.domain.events import CommentPosted, DomainEvent
from ledger.domain.vocabulary import Vocabulary
from ledger.store.records import Actor, AppendResult
from ledger.use_cases.articles import on_article
from ledger.use_cases.runner import DomainIds, IdsOf, Runner, named_by

__all__ = ["hide_comment", "post_comment", "restore_comment"]


async def post_comment(
    runner: Runner, command: PostComment, actor: Actor, idempotency_key: str | None
) -> AppendResult:
    def decide(state: articles.Article | None, _: Vocabulary) -> list[DomainEvent]:
        return comments.decide_post_comment(
            state, command.article_id, command.author_id, command.body
        )

    # The comment's id is made while deciding: named from the event.
    posted = named_by(
        CommentPosted, lambda e: DomainIds(article_id=e.article_id, comment_id=e.comment_id)
    )
    return await on_article(
        runner, command, command.article_id, decide, actor, idempotency_key, ids=posted
    )


async def hide_comment(
    runner: Runner, command: HideComment, actor: Actor, idempotency_key: str | None
) -> AppendResult:
    def decide(state: articles.Article | None, _: Vocabulary) -> list[DomainEvent]:
        return comments.decide_hide_comment(
            state, command.article_id, command.comment_id, command.reason
        )

    return await on_article(
        runner, command, command.article_id, decide, actor, idempotency_key, ids=_the(command)
    )


async def restore_comment(
    runner: Runner, command: RestoreComment, actor: Actor, idempotency_key: str | None
) -> AppendResult:
    def decide(state: articles.Article | None, _: Vocabulary) -> list[DomainEvent]:
        return comments.decide_restore_comment(
            state, command.article_id, command.comment_id, command.reason
        )

    return await on_article(
        runner, command, command.article_id, decide, actor, idempotency_key, ids=_the(command)
    )


def _the(command: HideComment | RestoreComment) -> IdsOf:
    """The comment the command names, on its article."""

    def ids(_: Sequence[DomainEvent]) -> DomainIds:
        return DomainIds(article_id=command.article_id, comment_id=command.comment_id)

    return ids
