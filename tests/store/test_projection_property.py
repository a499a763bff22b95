"""Random histories: the incrementally kept views always equal a replay, and every score
equals a recomputation from the ratings still active."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings

from ledger.domain.articles import fold, stream_id
from ledger.domain.errors import DomainError
from ledger.domain.scores import ScorePolicy
from ledger.read.articles import article_views
from ledger.replay.rebuild import verify_projections
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases.sql_views import sql_ledger
from tests.backends import Fill, NewDatabase
from tests.store.commands import PREFIX, Histories, prepared_for, prepared_store, run

# Three articles (the last registered by a command, if at all). Weighted towards ratings,
# which the views are mostly about; retraction (which ends an article's rating) is rare.
HISTORIES = Histories(
    articles=3,
    raters=6,
    kinds=["submit"] * 6
    + ["revise"] * 3
    + ["withdraw"] * 2
    + ["comment"] * 2
    + ["hide", "restore", "topics", "correct", "correct_with_topics", "register", "retract"],
    article_weights=[0, 1, 0, 1, 2],
    min_size=15,
    max_size=60,
)


def plain_scores(
    ratings: Iterable[tuple[str, int | None, int | None]],
) -> dict[str, tuple[int, Fraction, int, Fraction | None]]:
    """By discipline: the rating count and mean relevance over the ratings with a relevance,
    the count and mean of newsworthiness over those with one; a discipline only beyond its
    raters' expertise has no score."""
    relevances: dict[str, list[int]] = defaultdict(list)
    newsworthiness: dict[str, list[int]] = defaultdict(list)
    for discipline, r, n in ratings:
        if r is not None:
            relevances[discipline].append(r)
        if n is not None:
            newsworthiness[discipline].append(n)
    return {
        d: (
            len(rs),
            Fraction(sum(rs), len(rs)),
            len(newsworthiness[d]),
            Fraction(sum(newsworthiness[d]), len(newsworthiness[d])) if newsworthiness[d] else None,
        )
        for d, rs in relevances.items()
    }


async def _assert_scores_match_active_ratings(store: SQLEventStore, prefix: str) -> None:
    ids = [f"{prefix}-a{n}" for n in range(HISTORIES.articles)]
    async with store.engine.connect() as conn:
        views = await article_views(conn, ids, ScorePolicy())
    for article_id in ids:
        state = fold(
            store.registry.decode(e.type, e.payload)
            for e in await store.read_stream(stream_id(article_id))
        )
        if state is None:
            assert article_id not in views
            continue
        expected = plain_scores(
            (rating.discipline, rating.relevance, rating.newsworthiness)
            for rating in state.ratings.values()
        )
        shown = {
            s.discipline: (s.rating_count, s.relevance, s.newsworthiness_count, s.newsworthiness)
            for s in views[article_id].discipline_scores
        }
        assert shown == expected
        assert views[article_id].version == state.version
        assert views[article_id].retracted == state.retracted


@pytest.mark.long(30)
@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=HISTORIES.strategy)
async def test_live_views_equal_a_replay_for_any_history(
    prepared_database: Callable[[Fill], NewDatabase], history: list[tuple[Any, ...]]
) -> None:
    async with prepared_store(prepared_database, prepared_for(HISTORIES)) as store:
        await _live_views_equal_a_replay(store, history)


async def _live_views_equal_a_replay(store: SQLEventStore, history: list[tuple[Any, ...]]) -> None:
    ledger = sql_ledger(store)
    for command in history:
        before = await store.head()
        try:
            await run(ledger, PREFIX, HISTORIES, command)
            event(f"{command[0]} accepted")
        except DomainError as refusal:
            event(f"{command[0]} refused: {type(refusal).__name__}")
            assert await store.head() == before, f"a refused {command[0]} wrote something"

    await _assert_scores_match_active_ratings(store, PREFIX)
    report = await verify_projections(store)
    assert report.ok, report.mismatches[:3]
