"""The history every rebuild test replays: a few articles with ratings, revisions,
withdrawals, comments and moderation, written through the use cases (once per module and
backend: each test gets a copy, see ``conftest.py``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.domain.commands import (
    ChangeTopics,
    CorrectArticle,
    HideComment,
    PostComment,
    RetractArticle,
    ReviseRating,
    SubmitRating,
    WithdrawRating,
)
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases.service import EvidenceLedger
from tests.store.ledgers import EDITOR, ledger_with_raters, rater, register, subscriber, view

ARTICLES = ["a1", "a2", "a3", "a4", "a5"]
RATERS = {
    **{f"p{n}": "Physician" for n in range(1, 5)},
    **{f"n{n}": "Nurse" for n in range(1, 4)},
}
WRITER_RATERS = [f"w{n}" for n in range(40)]
BULK = 3000  # enough history that a rebuild takes a while


async def populate(store: SQLEventStore) -> EvidenceLedger:
    """A few articles with ratings, revisions, withdrawals, comments and moderation."""
    ledger = await ledger_with_raters(
        store, {**RATERS, **dict.fromkeys(WRITER_RATERS, "Physician")}
    )
    for number, article_id in enumerate(ARTICLES, start=1):
        await register(
            ledger,
            article_id,
            topics=["Back Pain", f"Topic {number % 2}"],
            published_on=f"202{number}-01-0{number}",
        )
        for index, rater_id in enumerate(RATERS):
            if (index + number) % 3 == 0:
                continue
            # Relevance 3-7: newsworthiness is asked only above 2.
            relevance, newsworthiness = 3 + (index + number) % 5, 1 + (index * number) % 7
            comment = f"{rater_id} on {article_id}" if index % 2 == 0 else None
            await ledger.execute(
                SubmitRating(article_id, rater_id, relevance, newsworthiness, comment),
                actor=rater(rater_id),
            )
        posted = await ledger.execute(
            PostComment(article_id, "s1", f"Comment on {article_id}"), actor=subscriber("s1")
        )
        await ledger.execute(
            PostComment(article_id, "s2", "Second thoughts"), actor=subscriber("s2")
        )
        if number % 2:
            comment_id = str(posted.events[0].payload["comment_id"])
            await ledger.execute(HideComment(article_id, comment_id, "off topic"), actor=EDITOR)
    await ledger.execute(ReviseRating("a1", "p2", 7, 7, "Changed my mind"), actor=rater("p2"))
    await ledger.execute(WithdrawRating("a2", "p1"), actor=rater("p1"))
    await ledger.execute(
        CorrectArticle("a3", {"title": "A corrected title"}, "erratum"), actor=EDITOR
    )
    await ledger.execute(ChangeTopics("a4", ["Sciatica"]), actor=EDITOR)
    await ledger.execute(RetractArticle("a5", "misconduct"), actor=EDITOR)
    return ledger


async def all_views(engine: AsyncEngine) -> dict[str, object]:
    views: dict[str, object] = {}
    for article_id in ARTICLES:
        views[article_id] = await view(engine, article_id, include_hidden=True)
    return views


# One process; the articles split in two and three (a1..a5 end in digits of both parities,
# every residue mod 3), each partition in a process of its own.
PARTITIONS = [1, 2, 3]
