"""Comments on the article stream: posted, hidden and restored, or refused.

Pure: every state is folded from events with ``articles.fold``; nothing touches a database.
"""

from __future__ import annotations

from typing import Any

import pytest

from ledger.domain import comments
from ledger.domain.articles import Comment
from ledger.domain.errors import (
    NotFound,
    ValidationFailed,
    WrongCommentState,
)
from ledger.domain.events import (
    CommentHidden,
    CommentPosted,
    CommentRestored,
)
from tests.unit.article_events import (
    ARTICLE_ID,
    POSTED,
    registered,
    state,
)

# -- comments -----------------------------------------------------------------------------


def test_posting_a_comment_records_it_with_an_id_from_the_stream_version() -> None:
    given = state(registered())

    events = comments.decide_post_comment(given, ARTICLE_ID, "s1", "Useful review.")

    assert events == [CommentPosted(ARTICLE_ID, "a1.c2", "s1", "Useful review.")]
    article = state(registered(), *events)
    assert article is not None
    assert article.comments == {"a1.c2": Comment("a1.c2", "s1", hidden=False)}


@pytest.mark.parametrize("body", ["", " ", "\n\t  \n", None, 5])
def test_an_empty_comment_is_refused(body: Any) -> None:
    given = state(registered())

    with pytest.raises(ValidationFailed) as refused:
        comments.decide_post_comment(given, ARTICLE_ID, "s1", body)

    assert refused.value.field == "body"


def test_a_comment_of_5000_characters_after_trimming_is_accepted_as_given() -> None:
    given = state(registered())
    body = "  \n" + "x" * 5000 + " \t"

    events = comments.decide_post_comment(given, ARTICLE_ID, "s1", body)

    assert events == [CommentPosted(ARTICLE_ID, "a1.c2", "s1", body)]


def test_a_comment_of_5001_characters_is_refused() -> None:
    given = state(registered())

    with pytest.raises(ValidationFailed) as refused:
        comments.decide_post_comment(given, ARTICLE_ID, "s1", "x" * 5001)

    assert refused.value.field == "body"


def test_a_comment_is_stored_exactly_as_written_even_if_it_looks_like_html() -> None:
    given = state(registered())
    body = " <script>alert('x')</script> &amp; <b>bold</b>\n"

    events = comments.decide_post_comment(given, ARTICLE_ID, "s1", body)

    assert events == [CommentPosted(ARTICLE_ID, "a1.c2", "s1", body)]


def test_commenting_on_an_unknown_article_is_refused() -> None:
    with pytest.raises(NotFound):
        comments.decide_post_comment(None, ARTICLE_ID, "s1", "Hello")


def test_hiding_a_visible_comment_records_the_reason() -> None:
    given = state(registered(), POSTED)

    events = comments.decide_hide_comment(given, ARTICLE_ID, "a1.c2", "  Spam ")

    assert events == [CommentHidden(ARTICLE_ID, "a1.c2", "Spam")]
    article = state(registered(), POSTED, *events)
    assert article is not None
    assert article.comments["a1.c2"].hidden is True


def test_hiding_a_hidden_comment_is_refused() -> None:
    given = state(registered(), POSTED, CommentHidden(ARTICLE_ID, "a1.c2", "Spam"))

    with pytest.raises(WrongCommentState) as refused:
        comments.decide_hide_comment(given, ARTICLE_ID, "a1.c2", "Spam again")

    assert refused.value.comment_id == "a1.c2"
    assert refused.value.hidden is True


def test_restoring_a_hidden_comment_records_the_reason() -> None:
    given = state(registered(), POSTED, CommentHidden(ARTICLE_ID, "a1.c2", "Spam"))

    events = comments.decide_restore_comment(given, ARTICLE_ID, "a1.c2", "Not spam after all")

    assert events == [CommentRestored(ARTICLE_ID, "a1.c2", "Not spam after all")]
    article = state(registered(), POSTED, CommentHidden(ARTICLE_ID, "a1.c2", "Spam"), *events)
    assert article is not None
    assert article.comments["a1.c2"].hidden is False


def test_restoring_a_visible_comment_is_refused() -> None:
    given = state(registered(), POSTED)

    with pytest.raises(WrongCommentState) as refused:
        comments.decide_restore_comment(given, ARTICLE_ID, "a1.c2", "Restore")

    assert refused.value.comment_id == "a1.c2"
    assert refused.value.hidden is False


@pytest.mark.parametrize(
    "decide",
    [comments.decide_hide_comment, comments.decide_restore_comment],
    ids=["hide", "restore"],
)
def test_moderating_an_unknown_comment_is_refused(decide: Any) -> None:
    given = state(registered(), POSTED)

    with pytest.raises(NotFound) as refused:
        decide(given, ARTICLE_ID, "a1.c9", "Why")

    assert refused.value.kind == "comment"
    assert refused.value.identifier == "a1.c9"


@pytest.mark.parametrize(
    "decide",
    [comments.decide_hide_comment, comments.decide_restore_comment],
    ids=["hide", "restore"],
)
def test_moderating_a_comment_of_an_unknown_article_is_refused(decide: Any) -> None:
    with pytest.raises(NotFound) as refused:
        decide(None, ARTICLE_ID, "a1.c2", "Why")

    assert refused.value.kind == "article"


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_hiding_a_comment_needs_a_reason(reason: Any) -> None:
    given = state(registered(), POSTED)

    with pytest.raises(ValidationFailed) as refused:
        comments.decide_hide_comment(given, ARTICLE_ID, "a1.c2", reason)

    assert refused.value.field == "reason"


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_restoring_a_comment_needs_a_reason(reason: Any) -> None:
    given = state(registered(), POSTED, CommentHidden(ARTICLE_ID, "a1.c2", "Spam"))

    with pytest.raises(ValidationFailed) as refused:
        comments.decide_restore_comment(given, ARTICLE_ID, "a1.c2", reason)

    assert refused.value.field == "reason"
