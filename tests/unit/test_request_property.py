"""The assignment rule over random rater pools, limits and articles: never above a limit,
never one of the article's author raters, at most one open request per rater and article,
N requests for every assigned discipline with N raters eligible, and the same choices when
decided again (a replay)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain import articles
from ledger.domain.events import RatingRequested
from ledger.domain.requests import (
    PoolRater,
    RequestPolicy,
    decide_assign_disciplines,
    decide_expire_requests,
)
from tests.unit.article_events import registered

DISCIPLINES = ["Physician", "Nurse", "Pharmacist"]
POPULATIONS = ["Adults", "Children", "Older adults"]
NOW = datetime(2026, 12, 6, tzinfo=UTC)


@st.composite
def raters(draw: st.DrawFn) -> list[PoolRater]:
    count = draw(st.integers(0, 25))
    pool = []
    for i in range(count):
        limit = draw(st.integers(1, 99))
        pool.append(
            PoolRater(
                f"r{draw(st.integers(0, 999)):03}-{i}",
                draw(st.sampled_from(DISCIPLINES)),
                tuple(draw(st.lists(st.sampled_from(POPULATIONS), unique=True, max_size=2))),
                limit,
                draw(st.booleans()),
                draw(st.integers(0, limit)),
            )
        )
    return draw(st.permutations(pool))


@settings(max_examples=300, deadline=None)
@given(
    pool=raters(),
    assigned=st.lists(st.sampled_from(DISCIPLINES), unique=True, min_size=1),
    populations=st.lists(st.sampled_from(POPULATIONS), unique=True, max_size=2),
    n=st.integers(1, 6),
    data=st.data(),
)
def test_the_assignment_rule_keeps_its_promises(
    pool: list[PoolRater], assigned: list[str], populations: list[str], n: int, data: st.DataObject
) -> None:
    policy = RequestPolicy(per_discipline=n)
    state = articles.fold([registered()])
    assert state is not None
    ids = sorted({r.rater_id for r in pool})
    # Author raters of any discipline, the assigned ones or not.
    authors = data.draw(st.lists(st.sampled_from(ids), unique=True, max_size=20)) if ids else []

    def decide(order: list[PoolRater]) -> list[RatingRequested]:
        events = decide_assign_disciplines(
            state,
            "a1",
            {d: d for d in assigned},
            populations,
            order,
            policy,
            NOW,
            dict.fromkeys(authors, True),
        )
        return [e for e in events if isinstance(e, RatingRequested)]

    requested = decide(pool)
    by_id = {r.rater_id: r for r in pool}
    asked = Counter(e.rater_id for e in requested)
    assert max(asked.values(), default=0) <= 1  # one open request per rater and article
    for event in requested:
        rater = by_id[event.rater_id]
        assert rater.requests_this_month + 1 <= rater.monthly_limit  # never above a limit
        assert not rater.paused
        assert rater.discipline == event.discipline
        assert rater.rater_id not in authors  # never one of the article's authors
    for discipline in assigned:
        eligible = [
            r
            for r in pool
            if r.discipline == discipline
            and not r.paused
            and r.requests_this_month < r.monthly_limit
            and r.rater_id not in authors
        ]
        got = sum(1 for e in requested if e.discipline == discipline)
        assert got == min(n, len(eligible))
    # The same state and pool, in any order, choose the same raters with the same ids.
    assert decide(list(reversed(pool))) == requested
    assert decide(sorted(pool, key=lambda r: r.rater_id)) == requested


@settings(max_examples=200, deadline=None)
@given(
    pool=raters(),
    assigned=st.lists(st.sampled_from(DISCIPLINES), unique=True, min_size=1),
    n=st.integers(1, 6),
    rounds=st.integers(1, 4),
    data=st.data(),
)
def test_expiry_never_asks_a_rater_twice_about_one_article_nor_an_author(
    pool: list[PoolRater], assigned: list[str], n: int, rounds: int, data: st.DataObject
) -> None:
    policy = RequestPolicy(per_discipline=n)
    state = articles.fold([registered()])
    assert state is not None
    ids = sorted({r.rater_id for r in pool})
    authors = data.draw(st.lists(st.sampled_from(ids), unique=True, max_size=20)) if ids else []
    events = decide_assign_disciplines(
        state, "a1", {d: d for d in assigned}, [], pool, policy, NOW, dict.fromkeys(authors, True)
    )
    for round_ in range(1, rounds + 1):
        state = articles.fold([registered(), *events])
        assert state is not None
        later = NOW + timedelta(days=15 * round_)
        events += decide_expire_requests(state, "a1", pool, policy, later)
    asked = Counter(e.rater_id for e in events if isinstance(e, RatingRequested))
    assert max(asked.values(), default=0) <= 1
    assert not set(asked) & set(authors)  # expiry asks others in place, never an author
    state = articles.fold([registered(), *events])
    assert state is not None
    for discipline in assigned:
        open_now = [
            r for r in state.requests.values() if r.discipline == discipline and r.status == "open"
        ]
        assert len(open_now) <= n


@settings(max_examples=200, deadline=None)
@given(
    pool=raters(),
    n=st.integers(1, 6),
    steps=st.lists(
        st.tuples(
            st.lists(st.sampled_from(DISCIPLINES), unique=True, min_size=1),
            st.integers(0, 3),  # how many of the pool's first raters are named authors
            st.booleans(),  # an expiry sweep after the assignment
        ),
        min_size=1,
        max_size=5,
    ),
)
def test_reassignments_leave_open_only_requests_the_article_can_take(
    pool: list[PoolRater], n: int, steps: list[tuple[list[str], int, bool]]
) -> None:
    """Whatever assignments follow one another, every open request is in a discipline the
    article is rated in and to a rater who is not an author, one per rater, at most N per
    discipline; what a new assignment takes away is cancelled, never left open."""
    policy = RequestPolicy(per_discipline=n)
    ids = sorted({r.rater_id for r in pool})
    events = [registered()]
    for round_, (assigned, authors, sweep) in enumerate(steps):
        state = articles.fold(events)
        assert state is not None
        named = dict.fromkeys(ids[:authors], True)
        given_now = (assigned, tuple(named))
        if given_now == (list(state.disciplines), state.author_raters) and not state.populations:
            continue  # the same assignment again is refused
        later = NOW + timedelta(days=15 * round_)
        events += decide_assign_disciplines(
            state, "a1", {d: d for d in assigned}, [], pool, policy, later, named
        )
        if sweep:
            state = articles.fold(events)
            assert state is not None
            events += decide_expire_requests(state, "a1", pool, policy, later + timedelta(days=15))
        state = articles.fold(events)
        assert state is not None
        open_now = [r for r in state.requests.values() if r.status == "open"]
        assert all(r.discipline in state.disciplines for r in open_now)
        assert not {r.rater_id for r in open_now} & set(state.author_raters)
        assert max(Counter(r.rater_id for r in open_now).values(), default=0) <= 1
        assert max(Counter(r.discipline for r in open_now).values(), default=0) <= n
