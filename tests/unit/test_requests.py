"""Rating requests decided without I/O: the assignment rule, expiry, profiles, the gate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ledger.domain import articles, ratings
from ledger.domain.articles import Article, Rater
from ledger.domain.errors import (
    DisciplineNotAssigned,
    NotFound,
    RatingNotRequested,
    ValidationFailed,
    WrongPauseState,
)
from ledger.domain.events import (
    ArticleDisciplinesAssigned,
    RaterEnrolled,
    RatingRequested,
    RatingRequestExpired,
    RatingSubmitted,
)
from ledger.domain.requests import (
    PoolRater,
    RequestPolicy,
    check_author_raters,
    choose_raters,
    decide_assign_disciplines,
    decide_expire_requests,
    decide_pause,
    decide_resume,
    decide_set_profile,
    fold_profile,
    instant,
    month_start,
)
from tests.unit.article_events import registered

NOW = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)
POLICY = RequestPolicy()


def article(*events: object) -> Article:
    state = articles.fold([registered(), *events])  # type: ignore[list-item]
    assert state is not None
    return state


def pool(discipline: str, count: int, **fields: object) -> list[PoolRater]:
    return [PoolRater(f"{discipline[0].lower()}{i:02}", discipline, **fields) for i in range(count)]  # type: ignore[arg-type]


def assign(state: Article, disciplines: list[str], pool_: list[PoolRater], **kw: object):
    return decide_assign_disciplines(
        state,
        state.article_id,
        {d: d for d in disciplines},
        kw.get("populations", []),
        pool_,
        kw.get("policy", POLICY),
        kw.get("now", NOW),  # type: ignore[arg-type]
    )


def test_assigning_a_discipline_requests_four_raters_in_id_order() -> None:
    events = assign(article(), ["Physician"], pool("Physician", 6))
    assert isinstance(events[0], ArticleDisciplinesAssigned)
    requested = [e for e in events if isinstance(e, RatingRequested)]
    assert [e.rater_id for e in requested] == ["p00", "p01", "p02", "p03"]
    assert requested[0].requested_at == "2026-12-06T09:30:00Z"
    assert requested[0].due == "2026-12-20T09:30:00Z"
    assert len({e.request_id for e in requested}) == 4


def test_matching_populations_come_first_then_fewest_requests_this_month() -> None:
    raters = [
        PoolRater("a", "Nurse", ("Adults",), requests_this_month=3),
        PoolRater("b", "Nurse", (), requests_this_month=0),
        PoolRater("c", "Nurse", ("children",), requests_this_month=2),
        PoolRater("d", "Nurse", ("Children",), requests_this_month=1),
        PoolRater("e", "Nurse", (), requests_this_month=1),
    ]
    events = assign(article(), ["Nurse"], raters, populations=["Children"])
    chosen = [e.rater_id for e in events if isinstance(e, RatingRequested)]
    assert chosen == ["d", "c", "b", "e"]


def test_paused_raters_full_raters_and_raters_who_rated_are_not_asked() -> None:
    rated = RatingSubmitted("a1", "a1.r2", "p00", "Physician", 5, 5, None)
    raters = [
        PoolRater("p00", "Physician"),
        PoolRater("p01", "Physician", paused=True),
        PoolRater("p02", "Physician", monthly_limit=2, requests_this_month=2),
        PoolRater("p03", "Physician"),
        PoolRater("n00", "Nurse"),
    ]
    events = assign(article(rated), ["Physician"], raters)
    assert [e.rater_id for e in events if isinstance(e, RatingRequested)] == ["p03"]


def test_unknown_discipline_and_empty_assignment_are_refused() -> None:
    with pytest.raises(NotFound):
        decide_assign_disciplines(article(), "a1", {"Wizard": None}, [], [], POLICY, NOW)
    with pytest.raises(ValidationFailed):
        decide_assign_disciplines(article(), "a1", {}, [], [], POLICY, NOW)


def test_the_same_assignment_twice_is_refused() -> None:
    state = article(*assign(article(), ["Physician"], []))
    with pytest.raises(ValidationFailed):
        assign(state, ["Physician"], [])


def test_the_article_s_author_raters_are_never_asked_even_on_expiry() -> None:
    authors = {"p00": True, "n01": True}  # one of another discipline: no matter
    events = decide_assign_disciplines(
        article(), "a1", {"Physician": "Physician"}, [], pool("Physician", 6), POLICY, NOW, authors
    )
    assert events[0] == ArticleDisciplinesAssigned("a1", ("Physician",), (), ("p00", "n01"))
    assert [e.rater_id for e in events if isinstance(e, RatingRequested)] == [
        "p01", "p02", "p03", "p04",
    ]  # fmt: skip
    state = article(*events)
    assert state.author_raters == ("p00", "n01")
    later = decide_expire_requests(state, "a1", pool("Physician", 6), POLICY, NOW + timedelta(15))
    assert [e.rater_id for e in later if isinstance(e, RatingRequested)] == ["p05"]


def test_author_raters_unknown_repeated_or_too_many_are_refused() -> None:
    with pytest.raises(NotFound) as unknown:
        decide_assign_disciplines(
            article(), "a1", {"Nurse": "Nurse"}, [], [], POLICY, NOW, {"n1": True, "x9": False}
        )
    assert (unknown.value.kind, unknown.value.identifier) == ("rater", "x9")
    assert check_author_raters(["r-a", "R-A"]) == ("r-a", "R-A")  # ids are case-sensitive
    for wrong in (["r1", "r1"], [f"r{i}" for i in range(21)], "r1", [""]):
        with pytest.raises(ValidationFailed) as refused:
            check_author_raters(wrong)
        assert refused.value.field == "author_raters"


def test_naming_other_author_raters_is_a_new_assignment() -> None:
    state = article(*assign(article(), ["Physician"], []))
    authors = {"p00": True}
    events = decide_assign_disciplines(
        state, "a1", {"Physician": "Physician"}, [], [], POLICY, NOW, authors
    )
    state = article(*assign(article(), ["Physician"], []), *events)
    assert state.author_raters == ("p00",)
    with pytest.raises(ValidationFailed):
        decide_assign_disciplines(
            state, "a1", {"Physician": "Physician"}, [], [], POLICY, NOW, authors
        )
    # Left out, the next assignment keeps them; named as none, it clears them.
    kept = assign(state, ["Physician"], [], populations=["Adults"])
    state = article(*assign(article(), ["Physician"], []), *events, *kept)
    assert state.author_raters == ("p00",)
    cleared = decide_assign_disciplines(
        state, "a1", {"Physician": "Physician"}, ["Adults"], [], POLICY, NOW, {}
    )
    assert (
        article(*assign(article(), ["Physician"], []), *events, *kept, *cleared).author_raters == ()
    )


def test_a_rating_answers_the_open_request_and_beyond_expertise_is_no_rating() -> None:
    events = assign(article(), ["Physician"], pool("Physician", 8))
    state = article(*events)
    beyond = RatingSubmitted(
        "a1", "a1.r9", "p00", "Physician", None, None, None, beyond_expertise=True
    )
    state = articles.evolve(state, beyond)
    assert [r.status for r in state.requests_of("p00")] == ["answered"]
    # Answered without a rating: the discipline is one open request short, so one more goes.
    more = choose_raters(state, pool("Physician", 8), POLICY)
    assert [r.rater_id for r in more] == ["p04"]


def test_expiry_asks_another_rater_in_place_of_each_overdue_one() -> None:
    state = article(*assign(article(), ["Physician"], pool("Physician", 6)))
    assert decide_expire_requests(state, "a1", pool("Physician", 6), POLICY, NOW) == []
    later = NOW + timedelta(days=14)
    events = decide_expire_requests(state, "a1", pool("Physician", 6), POLICY, later)
    assert [type(e) for e in events] == [RatingRequestExpired] * 4 + [RatingRequested] * 2
    state = article(*assign(article(), ["Physician"], pool("Physician", 6)), *events)
    assert sorted(r.rater_id for r in state.requests.values() if r.status == "open") == [
        "p04",
        "p05",
    ]


def test_rating_unasked_is_refused_unless_the_deployment_allows_it() -> None:
    state = article(*assign(article(), ["Physician"], pool("Physician", 4)))
    unasked = Rater("p09", "Physician")
    with pytest.raises(RatingNotRequested):
        ratings.decide_submit_rating(state, "a1", unasked, 5, 5, None, rating_without_request=False)
    assert ratings.decide_submit_rating(state, "a1", unasked, 5, 5, None)
    asked = Rater("p00", "Physician")
    assert ratings.decide_submit_rating(
        state, "a1", asked, 5, 5, None, rating_without_request=False
    )
    # A rater of a discipline the article is not rated in is refused, however it is run.
    other = Rater("n1", "Nurse")
    for allowed in (False, True):
        with pytest.raises(DisciplineNotAssigned):
            ratings.decide_submit_rating(
                state, "a1", other, 5, 5, None, rating_without_request=allowed
            )
    # An article without assigned disciplines is open to every rater, as before.
    assert ratings.decide_submit_rating(
        article(), "a1", unasked, 5, 5, None, rating_without_request=False
    )


def test_profile_limits_pause_and_resume() -> None:
    profile = fold_profile([RaterEnrolled("r1", "p1", "Nurse")])
    assert profile is not None
    assert profile.monthly_limit == 4
    assert not profile.paused
    for wrong in (0, 100, "4", True, 4.0):
        with pytest.raises(ValidationFailed):
            decide_set_profile(profile, "r1", ["Adults"], wrong)
    events = decide_set_profile(profile, "r1", ["Adults"], 99)
    profile = fold_profile([RaterEnrolled("r1", "p1", "Nurse"), *events])
    assert profile is not None
    assert profile.monthly_limit == 99
    with pytest.raises(WrongPauseState):
        decide_resume(profile, "r1")
    paused = fold_profile([RaterEnrolled("r1", "p1", "Nurse"), *decide_pause(profile, "r1")])
    assert paused is not None
    assert paused.paused
    with pytest.raises(WrongPauseState):
        decide_pause(paused, "r1")
    with pytest.raises(NotFound):
        decide_pause(None, "r9")


def test_instants_have_one_width_and_months_start_in_utc() -> None:
    assert instant(datetime(2026, 1, 2, 3, 4, 5, 600, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
    assert month_start(NOW) == "2026-12-01T00:00:00Z"
