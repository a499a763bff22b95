"""After any interleaving of every kind of change and query, by any caller, the answer
served through the cache is the one the schema gives when run afresh."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.settings import Settings
from ledger.domain.commands import (
    ChangeTopics,
    CorrectArticle,
    EnrolRater,
    HideComment,
    PostComment,
    RegisterDiscipline,
    RegisterStudyType,
    RestoreComment,
    RetractArticle,
    ReviseRating,
    SubmitRating,
    WithdrawRating,
)
from ledger.domain.errors import DomainError
from ledger.store.records import Actor
from tests.graph.cache.world import CALLERS, EDITOR, QUERIES, World, build_world
from tests.graph.conftest import running
from tests.graph.helpers import register

MUTATIONS = (
    "register",
    "correct",
    "retract",
    "topics",
    "rate",
    "revise",
    "withdraw",
    "comment",
    "hide",
    "restore",
    "enrol",
    "discipline",
    "study-type",
)
TOPICS = (["Exercise"], ["Back Pain"], ["Sleep", "Exercise"], ["Back Pain", "Sleep"])
NAMES = ("Dietitian", "Midwife", "Optometrist", "Paramedic", "Podiatrist", "Dentist")

QUERY = st.tuples(
    st.just("query"), st.sampled_from(sorted(QUERIES)), st.integers(0, 9), st.sampled_from(CALLERS)
)
MUTATION = st.tuples(
    st.just("change"), st.sampled_from(MUTATIONS), st.integers(0, 9), st.integers(0, 99)
)
STEPS = st.lists(st.one_of(QUERY, QUERY, MUTATION), min_size=1, max_size=14)


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[World]:
    """One app and ledger for a whole property run. Afterwards, the property must have held
    with the cache in play, not beside it: checked here, as the run's end, since a test of its
    own could run on another worker than the property, against another world."""
    async with running(Settings(database_url=database_url)) as api:
        built = await build_world(api)
        yield built
    stats = built.cache.stats
    assert stats.hits > 20, stats
    assert stats.misses > 20, stats
    # The public's repeated requests among them, answered before the stack (graph.http.repeats).
    assert stats.repeats > 5, stats


async def change(world: World, kind: str, pick: int, value: int) -> None:
    ledger = world.api.services.ledger
    article = world.articles[pick % len(world.articles)]
    rater = world.raters[value % len(world.raters)]
    as_rater = Actor(rater, "rater")
    relevance = 1 + value % 7
    # The form asks newsworthiness only of an article rated relevant (above 2).
    newsworthiness = 1 + (value // 7) % 7 if relevance > 2 else None
    world.made += 1
    made = world.made
    if kind == "register":
        world.articles.append(await register(world.api, f"A trial {made}", ["Exercise"]))
    elif kind == "correct":
        await ledger.execute(
            CorrectArticle(
                article_id=article, changes={"title": f"Corrected {made}"}, reason="typo"
            ),
            actor=EDITOR,
        )
    elif kind == "retract":
        await ledger.execute(
            RetractArticle(article_id=article, reason="Data fabricated"), actor=EDITOR
        )
    elif kind == "topics":
        await ledger.execute(
            ChangeTopics(article_id=article, topics=TOPICS[value % len(TOPICS)]), actor=EDITOR
        )
    elif kind == "rate":
        await ledger.execute(
            SubmitRating(
                article_id=article,
                rater_id=rater,
                relevance=relevance,
                newsworthiness=newsworthiness,
                comment=f"Rated {made}",
            ),
            actor=as_rater,
        )
    elif kind == "revise":
        await ledger.execute(
            ReviseRating(
                article_id=article,
                rater_id=rater,
                relevance=relevance,
                newsworthiness=newsworthiness,
            ),
            actor=as_rater,
        )
    elif kind == "withdraw":
        await ledger.execute(WithdrawRating(article_id=article, rater_id=rater), actor=as_rater)
    elif kind == "comment":
        author = world.subscribers[value % len(world.subscribers)]
        result = await ledger.execute(
            PostComment(article_id=article, author_id=author, body=f"Comment {made}"),
            actor=Actor(author, "subscriber"),
        )
        world.comments.append((article, str(result.events[0].payload["comment_id"])))
    elif kind in ("hide", "restore"):
        on, comment = world.comments[value % len(world.comments)]
        moderation = HideComment if kind == "hide" else RestoreComment
        await ledger.execute(
            moderation(article_id=on, comment_id=comment, reason="Moderated"), actor=EDITOR
        )
    elif kind == "enrol":
        rater_id = f"nurse-{made}"
        await ledger.execute(EnrolRater(discipline="Nurse", rater_id=rater_id), actor=EDITOR)
        world.raters.append(rater_id)
    elif kind == "discipline":
        await ledger.execute(RegisterDiscipline(name=NAMES[value % len(NAMES)]), actor=EDITOR)
    else:
        await ledger.execute(RegisterStudyType(name=f"Case series {value % 3}"), actor=EDITOR)


@settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    # One app and ledger for every example on purpose: the cache and the ledger carry over.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
async def test_the_cached_answer_is_always_the_fresh_one(
    world: World, steps: list[tuple[str, str, int, Any]]
) -> None:
    for step in steps:
        if step[0] == "change":
            # A refused change (a duplicate rating, a retracted article...) changes nothing.
            with contextlib.suppress(DomainError):
                await change(world, step[1], step[2], step[3])
            continue
        _, name, pick, caller = step
        article = world.articles[pick % len(world.articles)]
        for _ in range(2):  # the second is answered from the cache when nothing changed
            cached = await world.cached(name, article, caller)
            assert cached == await world.uncached(name, article, caller), (name, caller)
