"""Random histories of commands for the property tests, run through the use cases.

A command is a tuple ``(kind, article, rater, relevance, newsworthiness, words, pick,
topics)``; every test writes under a prefix of its own. The last of ``articles`` articles is
left for a ``register`` command; the others exist from the start.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from hypothesis import strategies as st

from ledger.domain.articles import fold, stream_id
from ledger.domain.commands import (
    AssignDisciplines,
    ChangeTopics,
    CorrectArticle,
    EnrolRater,
    HideComment,
    PostComment,
    RegisterArticle,
    RegisterDiscipline,
    RestoreComment,
    RetractArticle,
    ReviseRating,
    SubmitRating,
    WithdrawRating,
)
from ledger.domain.scores import ScorePolicy
from ledger.store.db import create_engine
from ledger.store.records import Actor
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases.service import EvidenceLedger
from ledger.use_cases.sql_views import sql_ledger
from tests.backends import Fill, NewDatabase

__all__ = [
    "DISCIPLINES",
    "EDITOR",
    "PREFIX",
    "READER",
    "Histories",
    "form_answers",
    "ledger_at",
    "prepare",
    "prepared_for",
    "prepared_store",
    "run",
    "store_at",
]

EDITOR = Actor("editor-1", "editor")
READER = Actor("subscriber-1", "subscriber")
DISCIPLINES = ["Physician", "Nurse", "Pharmacist"]

# The rating form's answers: a relevance of 0 stands for "beyond my expertise", a
# newsworthiness of 0 for "I don't know" (``form_answers``).
_ANSWER = st.integers(min_value=0, max_value=7)
# Each a single draw: a history has up to a hundred commands, and drawing a text or a set
# letter by letter made up most of Hypothesis's work. The texts carry what a comment or a
# correction may hold (markup, an accent, a line break, surrounding blanks), which the
# histories only pass through; what the API does with any text is fuzzed elsewhere.
_TEXT = st.sampled_from(["a", "b a", "<b>&amp;", "é", "a\nb", " ab ", "&<>", "aé <a>\n&"])
# Every non-empty set of the four topics.
_TOPIC_SETS = st.sampled_from(
    [frozenset(topics) for size in range(1, 5) for topics in itertools.combinations("ABCD", size)]
)


class Histories:
    """The strategy of command lists for ``articles`` articles and ``raters`` raters.

    ``kinds`` weights the commands (sampled_from shrinks towards its front: put the
    submissions first); ``article_weights`` picks which article a command aims at.
    """

    def __init__(
        self,
        *,
        articles: int,
        raters: int,
        kinds: list[str],
        article_weights: list[int],
        min_size: int,
        max_size: int,
    ) -> None:
        self.articles = articles
        self.raters = raters
        command = st.tuples(
            st.sampled_from(kinds),
            st.sampled_from(article_weights),
            st.integers(min_value=0, max_value=raters - 1),
            _ANSWER,
            _ANSWER,
            st.none() | _TEXT,
            st.integers(0, 5),
            _TOPIC_SETS,
        )
        self.strategy = st.lists(command, min_size=min_size, max_size=max_size)


# A property example has a ledger of its own, prepared alike (``prepared_for``): one prefix
# serves them all.
PREFIX = "p"


@asynccontextmanager
async def store_at(database_url: str) -> AsyncIterator[SQLEventStore]:
    """The SQL store at ``database_url``, its connections closed afterwards (a property test's
    ``prepared_database`` copies a database only while nobody is connected to it)."""
    engine = create_engine(database_url)
    try:
        yield SQLEventStore(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def ledger_at(
    database_url: str, policy: ScorePolicy | None = None
) -> AsyncIterator[EvidenceLedger]:
    """The SQL ledger at ``database_url``, as ``store_at``."""
    async with store_at(database_url) as store:
        yield sql_ledger(store, policy=policy)


@asynccontextmanager
async def prepared_store(
    prepared_database: Callable[[Fill], NewDatabase], fill: Fill
) -> AsyncIterator[SQLEventStore]:
    """The store on a new copy of the database that ``fill`` prepared (``prepared_database``,
    the property tests' fixture): an example's own ledger."""
    async with prepared_database(fill)() as database_url, store_at(database_url) as store:
        yield store


@functools.cache
def prepared_for(histories: Histories) -> Fill:
    """What ``prepare`` writes under ``PREFIX``, as a ``prepared_database`` fill: one per
    histories, so that a test makes its template once."""

    async def fill(database_url: str) -> None:
        async with ledger_at(database_url) as ledger:
            await prepare(ledger, PREFIX, histories)

    return fill


async def prepare(ledger: EvidenceLedger, prefix: str, histories: Histories) -> None:
    """The disciplines, the raters (round the disciplines) and all but the last article."""
    for name in DISCIPLINES:
        await ledger.execute(RegisterDiscipline(name), actor=EDITOR, idempotency_key=f"d:{name}")
    for number in range(histories.raters):
        await ledger.execute(
            EnrolRater(
                rater_id=f"{prefix}-r{number}", discipline=DISCIPLINES[number % len(DISCIPLINES)]
            ),
            actor=EDITOR,
        )
    for number in range(histories.articles - 1):
        await _register(ledger, f"{prefix}-a{number}", number, ["A", "B"])


async def run(
    ledger: EvidenceLedger, prefix: str, histories: Histories, command: tuple[Any, ...]
) -> None:
    """One command; a refusal raises the use case's DomainError."""
    kind, number, rater_number, relevance, newsworthiness, words, pick, topic_set = command
    if kind == "register":
        last = histories.articles - 1
        await _register(ledger, f"{prefix}-a{last}", last, sorted(topic_set))
        return
    article_id = f"{prefix}-a{number}"
    rater_id = f"{prefix}-r{rater_number}"
    if kind in ("revise", "withdraw"):
        # Mostly aim at a rater who has an active rating here, so the change happens.
        active = await _active_raters(ledger, article_id)
        if active and pick:
            rater_id = active[pick % len(active)]
    as_rater = Actor(rater_id, "rater")
    answers = form_answers(relevance, newsworthiness)
    if kind == "submit":
        await ledger.execute(
            SubmitRating(article_id, rater_id, **answers, comment=words), actor=as_rater
        )
    elif kind == "revise":
        await ledger.execute(
            ReviseRating(article_id, rater_id, **answers, comment=words), actor=as_rater
        )
    elif kind == "withdraw":
        await ledger.execute(WithdrawRating(article_id, rater_id), actor=as_rater)
    elif kind == "comment":
        await ledger.execute(PostComment(article_id, READER.id, words or "Hm."), actor=READER)
    elif kind in ("hide", "restore"):
        posted = await _comment_ids(ledger, article_id)
        if posted:
            moderate = HideComment if kind == "hide" else RestoreComment
            comment_id = posted[pick % len(posted)]
            await ledger.execute(moderate(article_id, comment_id, "moderation"), actor=EDITOR)
    elif kind == "retract":
        await ledger.execute(RetractArticle(article_id, "retracted by the journal"), actor=EDITOR)
    elif kind == "correct":
        await ledger.execute(
            CorrectArticle(article_id, _correction(pick, words), "typo"), actor=EDITOR
        )
    elif kind == "correct_with_topics":
        # Two events in one append: a correction and a change of topics.
        await ledger.execute(
            CorrectArticle(
                article_id,
                {"abstract": f"Corrected abstract {words}."},
                "erratum",
                topics=sorted(topic_set),
            ),
            actor=EDITOR,
        )
    elif kind == "topics":
        await ledger.execute(ChangeTopics(article_id, sorted(topic_set)), actor=EDITOR)
    elif kind == "assign":
        # The topics' letters pick the disciplines (A, B, C), D alone the one ``pick`` names:
        # ratings in the others stay in the log but no longer show.
        chosen = [DISCIPLINES[ord(t) - ord("A")] for t in sorted(topic_set) if t != "D"]
        await ledger.execute(
            AssignDisciplines(article_id, chosen or [DISCIPLINES[pick % len(DISCIPLINES)]]),
            actor=EDITOR,
        )
    else:
        raise ValueError(f"unknown command kind {kind!r}")


def form_answers(relevance: int, newsworthiness: int) -> dict[str, Any]:
    """A history's two numbers as the form's answers, every kind of them: a relevance of 0
    is "beyond my expertise", of 1 or 2 asks no newsworthiness; a newsworthiness of 0 is
    "I don't know"."""
    if relevance == 0:
        return {"relevance": None, "beyond_expertise": True}
    if relevance <= 2:
        return {"relevance": relevance}
    if newsworthiness == 0:
        return {"relevance": relevance, "newsworthiness_unknown": True}
    return {"relevance": relevance, "newsworthiness": newsworthiness}


async def _register(
    ledger: EvidenceLedger, article_id: str, number: int, topics: list[str]
) -> None:
    citation = {
        "title": f"Article {article_id}",
        "authors": ["Doe J", "Roe R"],
        "journal": "J",
        "study_type": "Cohort",
        "abstract": "Abstract.",
        # Newer articles later: related articles rank the newest first among equals.
        "published_on": f"202{number % 10}-01-0{number % 9 + 1}",
    }
    await ledger.execute(
        RegisterArticle(article_id=article_id, citation=citation, topics=topics), actor=EDITOR
    )


async def _active_raters(ledger: EvidenceLedger, article_id: str) -> list[str]:
    state = fold(
        ledger.store.registry.decode(e.type, e.payload)
        for e in await ledger.store.read_stream(stream_id(article_id))
    )
    return sorted(state.ratings) if state is not None else []


async def _comment_ids(ledger: EvidenceLedger, article_id: str) -> list[str]:
    history = await ledger.store.read_stream(stream_id(article_id))
    return [e.payload["comment_id"] for e in history if e.type == "CommentPosted"]


def _correction(pick: int, words: str | None) -> dict[str, Any]:
    """One of several kinds of correction: text, a list, an optional field set or cleared."""
    choices: list[dict[str, Any]] = [
        {"title": f"Corrected {words}"},
        {"authors": ["Roe R", f"Doe {words or 'J'}"]},
        {"volume": words},
        {"doi": f"10.1234/x{pick}" if words else None},
        {"journal_abbreviation": words, "pages": "1-9"},
        {"study_type": "Randomized controlled trial", "published_on": "2024-02-29"},
    ]
    return choices[pick % len(choices)]
