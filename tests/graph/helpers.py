"""Helpers for the API tests: arranging a ledger through the service layer, and reading answers.

Arranging goes through the use cases (as an editor, raters and subscribers would); what is
checked goes through HTTP.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from ledger.domain.commands import (
    AssignDisciplines,
    EnrolRater,
    PostComment,
    RegisterArticle,
    SubmitRating,
)
from ledger.store.records import Actor
from ledger.use_cases.sample import SAMPLE_ARTICLE_ID
from tests.graph.conftest import Api
from tests.store.ledgers import citation as store_citation

__all__ = [
    "EDITOR",
    "SAMPLE_ID",
    "article_global_id",
    "ask_nurses",
    "assert_no_stack_trace",
    "citation",
    "counting_statements",
    "enrol",
    "ledger_position",
    "post_comment",
    "rate",
    "register",
]

EDITOR = Actor("test-editor", "editor")
SAMPLE_ID = SAMPLE_ARTICLE_ID


def article_global_id(article_id: str) -> str:
    """The Relay global id of an article, as the API gives it out."""
    return base64.b64encode(f"Article:{article_id}".encode()).decode()


def citation(title: str, **changes: Any) -> dict[str, Any]:
    """A complete, valid citation without identifiers; ``changes`` override single fields."""
    defaults = {
        "doi": None,
        "pmid": None,
        "publication_note": None,
        "abstract": f"An abstract of {title.lower()}.",
    }
    return store_citation(title, **(defaults | changes))


async def register(api: Api, title: str, topics: list[str], **changes: Any) -> str:
    """Register an article through the service as an editor; returns its plain id."""
    result = await api.services.ledger.execute(
        RegisterArticle(citation=citation(title, **changes), topics=topics), actor=EDITOR
    )
    return result.stream_id.partition(":")[2]


async def enrol(api: Api, rater_id: str, discipline: str, name: str | None = None) -> None:
    await api.services.ledger.execute(
        EnrolRater(discipline=discipline, rater_id=rater_id, display_name=name), actor=EDITOR
    )


async def ask_nurses(api: Api, article_id: str = SAMPLE_ID) -> None:
    """Assign the article Nurse beside Physician (the sample's discipline): the nurses
    enrolled by then are asked to rate it, as an article with assigned disciplines is rated
    only in them and only by raters asked."""
    await api.services.ledger.execute(
        AssignDisciplines(article_id, ["Physician", "Nurse"]), actor=EDITOR
    )


async def rate(
    api: Api,
    article_id: str,
    rater_id: str,
    relevance: int,
    newsworthiness: int,
    comment: str | None = None,
) -> None:
    await api.services.ledger.execute(
        SubmitRating(article_id, rater_id, relevance, newsworthiness, comment),
        actor=Actor(rater_id, "rater"),
    )


async def post_comment(api: Api, article_id: str, author_id: str, body: str) -> str:
    """Post a subscriber comment through the service; returns the comment's id."""
    result = await api.services.ledger.execute(
        PostComment(article_id, author_id, body), actor=Actor(author_id, "subscriber")
    )
    [event] = result.events
    return str(event.payload["comment_id"])


async def ledger_position(api: Api) -> int:
    """The ledger head's position: it moves with every change, and only then."""
    return (await api.services.store.head()).position


def assert_no_stack_trace(body: str) -> None:
    for sign in ("Traceback", 'File "', "site-packages", '.py", line'):
        assert sign not in body, f"a stack trace reached the client: {body[:500]}"


@contextmanager
def counting_statements(api: Api) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = api.services.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)
