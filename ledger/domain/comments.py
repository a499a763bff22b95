"""Subscribers' comments on the article stream and their moderation, decided without I/O.

Editors hide and restore a comment with a reason; nothing is ever deleted.
"""

from __future__ import annotations

from ledger.domain.articles import Article, Comment, check_open, existing
from ledger.domain.errors import NotFound, WrongCommentState
from ledger.domain.events import CommentHidden, CommentPosted, CommentRestored, DomainEvent
from ledger.domain.validation import check_comment, check_text

__all__ = ["decide_hide_comment", "decide_post_comment", "decide_restore_comment"]


def decide_post_comment(
    state: Article | None, article_id: str, author_id: str, body: object
) -> list[DomainEvent]:
    article = existing(state, article_id)
    body = check_comment("body", body)
    check_open(article)
    comment_id = f"{article_id}.c{article.version + 1}"
    return [CommentPosted(article_id, comment_id, author_id, body)]


def decide_hide_comment(
    state: Article | None, article_id: str, comment_id: str, reason: object
) -> list[DomainEvent]:
    comment = _comment(state, article_id, comment_id)
    if comment.hidden:
        raise WrongCommentState(comment_id, hidden=True)
    return [CommentHidden(article_id, comment_id, check_text("reason", reason, limit=1000))]


def decide_restore_comment(
    state: Article | None, article_id: str, comment_id: str, reason: object
) -> list[DomainEvent]:
    comment = _comment(state, article_id, comment_id)
    if not comment.hidden:
        raise WrongCommentState(comment_id, hidden=False)
    return [CommentRestored(article_id, comment_id, check_text("reason", reason, limit=1000))]


def _comment(state: Article | None, article_id: str, comment_id: str) -> Comment:
    comment = existing(state, article_id).comments.get(comment_id)
    if comment is None:
        raise NotFound("comment", comment_id)
    return comment
