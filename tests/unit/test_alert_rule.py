"""The alert rule on its own: which discipline meets a profile, and the alerts' ids."""

from __future__ import annotations

from ledger.domain.alert_rule import (
    ARTICLE,
    RETRACTION,
    AlertBook,
    ArticleFacts,
    alert_id,
    meeting_discipline,
)
from ledger.domain.alerts import AlertProfile
from ledger.domain.events import (
    ArticleDisciplinesAssigned,
    ArticleRegistered,
    ArticleRetracted,
    RatingSubmitted,
)

PROFILE = AlertProfile("s1", ("Nurse", "Physician"), 6, 5)


def article(*ratings: tuple[str, int | None, int | None], **facts: object) -> ArticleFacts:
    found = ArticleFacts("Cohort", ("Back Pain",))
    found.ratings = {f"r{n}": rating for n, rating in enumerate(ratings)}
    for name, value in facts.items():
        setattr(found, name, value)
    return found


def test_means_exactly_at_the_cut_offs_meet_them() -> None:
    facts = article(("Physician", 6, 5), ("Physician", 7, 4), ("Physician", 5, 6))
    assert meeting_discipline(PROFILE, facts, 3) == "Physician"


def test_a_mean_just_under_a_cut_off_does_not() -> None:
    facts = article(("Physician", 6, 5), ("Physician", 6, 5), ("Physician", 5, 5))
    assert meeting_discipline(PROFILE, facts, 3) is None


def test_the_profiles_first_discipline_that_meets_it_is_named() -> None:
    both = [("Physician", 7, 7)] * 3 + [("Nurse", 7, 7)] * 3
    assert meeting_discipline(PROFILE, article(*both), 3) == "Nurse"


def test_too_few_ratings_a_retraction_or_another_study_type_meet_nothing() -> None:
    high = [("Physician", 7, 7)] * 3
    assert meeting_discipline(PROFILE, article(*high[:2]), 3) is None
    assert meeting_discipline(PROFILE, article(*high, retracted=True), 3) is None
    reviews = AlertProfile("s1", ("Physician",), 1, 1, study_types=("systematic review",))
    assert meeting_discipline(reviews, article(*high), 3) is None
    assert meeting_discipline(reviews, article(*high, study_type="Systematic Review"), 3)


def test_an_alerts_id_is_stable_and_differs_by_kind_subscriber_and_article() -> None:
    ids = {
        alert_id(s, a, k) for s in ("s1", "s2") for a in ("a1", "a2") for k in (ARTICLE, RETRACTION)
    }
    assert len(ids) == 8
    assert alert_id("s1", "a1", ARTICLE) == alert_id("s1", "a1", ARTICLE)


def test_a_retraction_of_an_article_never_sent_makes_nothing_due() -> None:
    book = AlertBook(minimum=3)
    book.set_profile(PROFILE)
    registered = ArticleRegistered(
        "a1", "T", (), "J", None, None, None, None, None, None, None, None, "Cohort", "A", ()
    )
    book.apply(registered, 1)
    assert book.apply(RatingSubmitted("a1", "r1", "p1", "Physician", 7, 7, None), 2) == []
    assert book.apply(ArticleRetracted("a1", "fabricated"), 3) == []


def test_each_mean_is_over_its_own_count_of_ratings() -> None:
    # Newsworthiness (6 + 5 + 4) / 3 = 5 over the three who gave one; a rating of relevance
    # 7 with "don't know" raises the relevance mean only, one beyond expertise neither.
    facts = article(
        ("Physician", 6, 6),
        ("Physician", 5, 5),
        ("Physician", 6, 4),
        ("Physician", 7, None),
        ("Physician", None, None),
    )
    assert meeting_discipline(PROFILE, facts, 3) == "Physician"
    sums = facts.sums("Physician")
    assert (sums.relevance_count, sums.relevance) == (4, 24)
    assert (sums.newsworthiness_count, sums.newsworthiness) == (3, 15)


def test_the_minimum_count_is_needed_on_each_mean() -> None:
    few_news = article(("Physician", 7, 7), ("Physician", 7, 7), ("Physician", 7, None))
    assert meeting_discipline(PROFILE, few_news, 3) is None
    assert meeting_discipline(PROFILE, few_news, 2) == "Physician"
    beyond = article(("Physician", 7, 7), ("Physician", 7, 7), ("Physician", None, None))
    assert meeting_discipline(PROFILE, beyond, 3) is None


def test_only_the_assigned_disciplines_count_and_an_assignment_may_make_one_due() -> None:
    book = AlertBook(minimum=3)
    nurses = AlertProfile("s1", ("Nurse",), 5, 5)
    book.set_profile(nurses)
    registered = ArticleRegistered(
        "a1", "T", (), "J", None, None, None, None, None, None, None, None, "Cohort", "A", ()
    )
    book.apply(registered, 1)
    assert book.apply(ArticleDisciplinesAssigned("a1", ("Physician",), ()), 2) == []
    for n in range(3):
        rating = RatingSubmitted("a1", f"r{n}", f"n{n}", "Nurse", 7, 7, None)
        assert book.apply(rating, 3 + n) == []  # the nurses' score does not show
    assert meeting_discipline(nurses, book.articles["a1"], 3) is None
    [due] = book.apply(ArticleDisciplinesAssigned("a1", ("Physician", "Nurse"), ()), 6)
    assert (due.subscriber_id, due.kind, due.discipline, due.position) == (
        "s1",
        ARTICLE,
        "Nurse",
        6,
    )
    # Due once: taken out of the assignment and put back, nothing more.
    assert book.apply(ArticleDisciplinesAssigned("a1", ("Physician",), ()), 7) == []
    assert book.apply(ArticleDisciplinesAssigned("a1", ("Nurse",), ()), 8) == []
