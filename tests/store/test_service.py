"""The use cases end to end: commands through EvidenceLedger, results read from the live views."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Awaitable, Callable
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.domain.commands import (
    ChangeTopics,
    CorrectArticle,
    EnrolRater,
    HideComment,
    PostComment,
    RegisterArticle,
    RegisterStudyType,
    RestoreComment,
    RetractArticle,
    ReviseRating,
    SubmitRating,
    WithdrawRating,
)
from ledger.domain.errors import (
    ArticleIsRetracted,
    DomainError,
    IdempotencyKeyReused,
)
from ledger.domain.scores import ScorePolicy
from ledger.projections.projector import checkpoint
from ledger.projections.tables import live_views, projection_checkpoints
from ledger.read.related import related_articles
from ledger.read.vocabulary import topics
from ledger.replay.rebuild import verify_projections
from ledger.store.sql_store import SQLEventStore
from ledger.store.tables import appends, events, people
from ledger.use_cases.service import EvidenceLedger
from ledger.use_cases.sql_views import sql_ledger
from tests.store.ledgers import (
    EDITOR,
    citation,
    ledger_with_raters,
    people_count,
    rater,
    register,
    scores,
    subscriber,
    view,
    view_tables_dump,
)
from tests.store.writers import separate_stores
from tests.use_cases.requests import (
    NURSES,
    PHYSICIANS,
    REFUSALS,
    REQUESTS,
    Call,
    World,
    populate,
    rate,
)

RACERS = 8


# -- scores -----------------------------------------------------------------------------


async def test_submit_revise_and_withdraw_move_the_discipline_score_exactly(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    ledger = await ledger_with_raters(store, PHYSICIANS)
    await register(ledger, "a1")

    async def physician() -> tuple[int, Fraction, Fraction, int | None, bool]:
        score = (await scores(engine, "a1"))["Physician"]
        assert score.out_of == 7
        return (
            score.rating_count,
            score.relevance,
            score.newsworthiness,
            score.score,
            score.meets_threshold,
        )

    def expect(
        count: int, relevance_sum: int, news_sum: int, score: int | None, meets: bool
    ) -> tuple[int, Fraction, Fraction, int | None, bool]:
        return count, Fraction(relevance_sum, count), Fraction(news_sum, count), score, meets

    await rate(ledger, "a1", "p1", 7, 6)
    assert await physician() == expect(1, 7, 6, None, False)  # pending below 3 ratings
    await rate(ledger, "a1", "p2", 4, 3)
    assert await physician() == expect(2, 11, 9, None, False)
    await rate(ledger, "a1", "p3", 5, 4)
    assert await physician() == expect(3, 16, 13, 5, True)  # 5.33 -> 5 out of 7
    await rate(ledger, "a1", "p4", 6, 5)
    assert await physician() == expect(4, 22, 18, 6, True)  # 5.5 rounds half up to 6

    # Relevance 3, the lowest that is asked newsworthiness too.
    await ledger.execute(ReviseRating("a1", "p2", 3, 1), actor=rater("p2"))
    assert await physician() == expect(4, 21, 16, 5, True)  # newsworthiness exactly 4 meets
    await ledger.execute(ReviseRating("a1", "p3", 5, 3), actor=rater("p3"))
    assert await physician() == expect(4, 21, 15, 5, False)  # 3.75 < 4

    await ledger.execute(WithdrawRating("a1", "p1"), actor=rater("p1"))
    assert await physician() == expect(3, 14, 9, 5, False)  # p1's 7 and 6 left the means
    await ledger.execute(WithdrawRating("a1", "p4"), actor=rater("p4"))
    assert await physician() == expect(2, 8, 4, None, False)  # pending again
    await ledger.execute(WithdrawRating("a1", "p2"), actor=rater("p2"))
    assert await physician() == expect(1, 5, 3, None, False)
    await ledger.execute(WithdrawRating("a1", "p3"), actor=rater("p3"))
    assert await scores(engine, "a1") == {}  # the last withdrawal removes the score entirely

    await rate(ledger, "a1", "p1", 3, 2)  # a withdrawn rater may rate again
    assert await physician() == expect(1, 3, 2, None, False)
    assert (await verify_projections(store)).ok


async def test_ratings_in_two_disciplines_are_scored_separately(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    ledger = await ledger_with_raters(store, {**PHYSICIANS, **NURSES})
    await register(ledger, "a1")
    for rater_id, relevance, newsworthiness in [
        ("p1", 7, 7),
        ("n1", 3, 3),
        ("p2", 6, 6),
        ("n2", 3, 3),
        ("p3", 6, 5),
    ]:
        await rate(ledger, "a1", rater_id, relevance, newsworthiness)

    found = await view(engine, "a1")
    assert found is not None
    assert [s.discipline for s in found.discipline_scores] == ["Nurse", "Physician"]
    nurse, physician = found.discipline_scores
    assert (nurse.rating_count, nurse.relevance, nurse.newsworthiness) == (
        2,
        Fraction(3),
        Fraction(3),
    )
    assert (nurse.score, nurse.meets_threshold) == (None, False)
    assert (physician.rating_count, physician.relevance, physician.newsworthiness) == (
        3,
        Fraction(19, 3),
        Fraction(6),
    )
    assert (physician.score, physician.meets_threshold) == (6, True)

    await rate(ledger, "a1", "n3", 4, 4)
    both = await scores(engine, "a1")
    assert (both["Nurse"].rating_count, both["Nurse"].score) == (3, 3)
    assert both["Nurse"].meets_threshold is False  # relevance 10/3 < 4
    assert both["Physician"] == physician  # untouched by the nurse's rating


async def test_meets_threshold_needs_enough_ratings_and_both_means_at_the_threshold(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    ledger = await ledger_with_raters(store, PHYSICIANS)
    await register(ledger, "a1")
    await rate(ledger, "a1", "p1", 7, 7)
    await rate(ledger, "a1", "p2", 7, 7)
    high_but_few = (await scores(engine, "a1"))["Physician"]
    assert (high_but_few.score, high_but_few.meets_threshold) == (None, False)

    await rate(ledger, "a1", "p3", 3, 1)  # means 17/3 and exactly 5
    assert (await scores(engine, "a1"))["Physician"].meets_threshold is True
    await ledger.execute(ReviseRating("a1", "p3", 3, 1, "now with a comment"), actor=rater("p3"))
    await ledger.execute(ReviseRating("a1", "p1", 4, 4), actor=rater("p1"))  # news (4+7+1)/3 = 4
    assert (await scores(engine, "a1"))["Physician"].meets_threshold is True
    await ledger.execute(ReviseRating("a1", "p2", 7, 6), actor=rater("p2"))  # news 11/3 < 4
    assert (await scores(engine, "a1"))["Physician"].meets_threshold is False

    # Both thresholds are the deployment's to set.
    lenient = ScorePolicy(
        min_ratings_for_score=2,
        relevance_threshold=Fraction(3),
        newsworthiness_threshold=Fraction(3),
        min_ratings_for_threshold=2,
    )
    await ledger.execute(WithdrawRating("a1", "p3"), actor=rater("p3"))  # p1 (4, 4), p2 (7, 6)
    found = await view(engine, "a1", policy=lenient)
    assert found is not None
    [score] = found.discipline_scores
    assert (score.rating_count, score.score, score.meets_threshold) == (2, 6, True)
    assert (await scores(engine, "a1"))["Physician"].score is None  # default policy: pending


# -- who rates in which discipline -------------------------------------------------------


async def test_a_rating_lands_in_the_discipline_of_the_raters_enrolment(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    ledger = await ledger_with_raters(store, {"n1": "Nurse"})
    await register(ledger, "a1")

    result = await ledger.execute(
        SubmitRating("a1", "n1", 6, 5, "From the ward."), actor=rater("n1")
    )

    assert result.events[0].payload["discipline"] == "Nurse"
    found = await view(engine, "a1")
    assert found is not None
    assert [(s.discipline, s.rating_count) for s in found.discipline_scores] == [("Nurse", 1)]
    assert [(c.discipline, c.body, c.rater_id) for c in found.rater_comments] == [
        ("Nurse", "From the ward.", "n1")
    ]


async def test_a_retracted_article_refuses_new_ratings_but_keeps_its_flag_and_scores(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    ledger = await ledger_with_raters(store, {**PHYSICIANS, **NURSES})
    await register(ledger, "a1")
    for rater_id in ("p1", "p2", "p3"):
        await rate(ledger, "a1", rater_id, 6, 5, f"{rater_id} was here")
    before = await view(engine, "a1")
    assert before is not None

    await ledger.execute(RetractArticle("a1", "Data fabrication"), actor=EDITOR)
    retracted = await view(engine, "a1")
    assert retracted is not None
    assert retracted.retracted is True
    assert retracted.discipline_scores == before.discipline_scores
    assert retracted.rater_comments == before.rater_comments
    assert retracted.version == before.version + 1

    head = await store.head()
    with pytest.raises(ArticleIsRetracted):
        await rate(ledger, "a1", "n1", 7, 7)
    assert await store.head() == head
    assert await view(engine, "a1") == retracted


# -- refusals change nothing -------------------------------------------------------------


async def build_world(store: SQLEventStore) -> tuple[EvidenceLedger, World]:
    ledger = await ledger_with_raters(store, {**PHYSICIANS, **NURSES})
    return ledger, await populate(ledger)


# The refusals and requests whose plans differ in what they write beside the log (the people
# table, the vocabulary read from the views): every one of them runs on the in-memory store
# in tests/use_cases/test_requests.py; here, those where the database's rollback matters.
SQL_REFUSALS = [
    r
    for r in REFUSALS
    if r[0]
    in (
        "rating by an unknown rater",
        "a comment on an unknown article",
        "hiding a hidden comment",
        "a correction that changes nothing",
        "changing topics to the same topics",
        "enrolling an enrolled rater",
        "enrolling in an unknown discipline",
        "registering a discipline twice",
        "assigning an unknown discipline",
    )
]
SQL_REQUESTS = [
    r
    for r in REQUESTS
    if r[0]
    in ("submit_rating", "register_article", "correct_article", "enrol_rater", "assign_disciplines")
]


@pytest.mark.parametrize(
    ("case", "call", "error"), SQL_REFUSALS, ids=[case for case, _, _ in SQL_REFUSALS]
)
async def test_every_refusal_changes_nothing(
    store: SQLEventStore,
    engine: AsyncEngine,
    case: str,
    call: Call,
    error: type[DomainError],
) -> None:
    ledger, world = await build_world(store)
    head = await store.head()
    articles = (await view(engine, "a1", include_hidden=True), await view(engine, "gone"))
    tables = await view_tables_dump(engine)
    persons = await people_count(engine)

    with pytest.raises(error):
        await call(ledger, world, "refused-request")

    assert await store.head() == head
    assert (await view(engine, "a1", include_hidden=True), await view(engine, "gone")) == articles
    assert await view_tables_dump(engine) == tables
    assert await people_count(engine) == persons
    async with engine.connect() as conn:  # a refusal uses up no key, whoever sent it
        keys = await conn.scalars(
            select(appends.c.actor_id).where(appends.c.idempotency_key == "refused-request")
        )
        assert keys.all() == []


# -- comments ----------------------------------------------------------------------------


async def test_rater_comments_show_by_discipline_in_submission_order(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    ledger = await ledger_with_raters(store, {**PHYSICIANS, **NURSES})
    await register(ledger, "a1")
    await rate(ledger, "a1", "p1", 6, 5, "Physician first.")
    await rate(ledger, "a1", "n1", 5, 5, "Nurse second.")
    await rate(ledger, "a1", "p2", 4, 4, "Physician third.")
    await rate(ledger, "a1", "p3", 4, 4)  # no comment: nothing shown
    await rate(ledger, "a1", "n2", 3, 3, "Nurse fifth.")

    async def shown() -> list[tuple[str, str, str]]:
        found = await view(engine, "a1")
        assert found is not None
        return [(c.discipline, c.body, c.rater_id) for c in found.rater_comments]

    assert await shown() == [
        ("Physician", "Physician first.", "p1"),
        ("Nurse", "Nurse second.", "n1"),
        ("Physician", "Physician third.", "p2"),
        ("Nurse", "Nurse fifth.", "n2"),
    ]

    await ledger.execute(
        ReviseRating("a1", "p1", 6, 5, "Physician first, revised."), actor=rater("p1")
    )
    await ledger.execute(WithdrawRating("a1", "n1"), actor=rater("n1"))
    await ledger.execute(
        ReviseRating("a1", "p3", 4, 4, "Physician fourth, added later."), actor=rater("p3")
    )

    assert await shown() == [
        ("Physician", "Physician first, revised.", "p1"),  # replaced, keeps its place
        ("Physician", "Physician third.", "p2"),
        ("Physician", "Physician fourth, added later.", "p3"),
        ("Nurse", "Nurse fifth.", "n2"),
    ]

    await ledger.execute(ReviseRating("a1", "p2", 4, 4, None), actor=rater("p2"))  # comment dropped
    assert [body for _, body, _ in await shown()] == [
        "Physician first, revised.",
        "Physician fourth, added later.",
        "Nurse fifth.",
    ]


async def test_subscriber_comments_are_posted_hidden_and_restored_with_bodies_kept_exactly(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    ledger = await ledger_with_raters(store)
    await register(ledger, "a1")
    await register(ledger, "quiet")
    bodies = [
        "  Leading spaces, a blank line,\n\nand trailing spaces.  ",
        "Unicode stays: naïve — 😀 <b>not html</b>",
        "Buy cheap pills",
    ]
    ids = []
    for number, body in enumerate(bodies, start=1):
        author = f"s{number}"
        posted = await ledger.execute(PostComment("a1", author, body), actor=subscriber(author))
        ids.append(str(posted.events[0].payload["comment_id"]))

    async def public() -> list[tuple[str, str, bool]]:
        found = await view(engine, "a1")
        assert found is not None
        return [(c.author_id, c.body, c.hidden) for c in found.subscriber_comments]

    async def everything() -> list[tuple[str, str, bool]]:
        found = await view(engine, "a1", include_hidden=True)
        assert found is not None
        return [(c.author_id, c.body, c.hidden) for c in found.subscriber_comments]

    assert await public() == [(f"s{n}", body, False) for n, body in enumerate(bodies, start=1)]
    quiet = await view(engine, "quiet")
    assert quiet is not None
    assert quiet.subscriber_comments == ()  # loaded, and empty

    await ledger.execute(HideComment("a1", ids[2], "advertising"), actor=EDITOR)
    assert await public() == [("s1", bodies[0], False), ("s2", bodies[1], False)]
    assert await everything() == [
        ("s1", bodies[0], False),
        ("s2", bodies[1], False),
        ("s3", bodies[2], True),
    ]

    await ledger.execute(HideComment("a1", ids[0], "checking"), actor=EDITOR)
    await ledger.execute(RestoreComment("a1", ids[0], "checked: fine"), actor=EDITOR)
    assert await public() == [("s1", bodies[0], False), ("s2", bodies[1], False)]
    await ledger.execute(RestoreComment("a1", ids[2], "appeal upheld"), actor=EDITOR)
    assert await public() == [(f"s{n}", body, False) for n, body in enumerate(bodies, start=1)]


# -- citations and topics ----------------------------------------------------------------


async def test_a_correction_changes_only_the_named_citation_fields(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    ledger = await ledger_with_raters(store)
    await register(ledger, "a1", topics=["Back Pain"])
    before = await view(engine, "a1")
    assert before is not None

    await ledger.execute(
        CorrectArticle(
            "a1",
            {
                "title": "Corrected title",
                "pages": "101-111",
                "authors": ["Roe R", "Doe J", "Poe P"],
            },
            "erratum",
        ),
        actor=EDITOR,
    )

    after = await view(engine, "a1")
    assert after is not None
    assert after.citation == dataclasses.replace(
        before.citation,
        title="Corrected title",
        pages="101-111",
        authors=("Roe R", "Doe J", "Poe P"),
    )
    assert (after.study_type, after.abstract, after.topics) == (
        before.study_type,
        before.abstract,
        before.topics,
    )
    assert after.version == before.version + 1

    await ledger.execute(CorrectArticle("a1", {"study_type": "Cohort"}, "misfiled"), actor=EDITOR)
    again = await view(engine, "a1")
    assert again is not None
    assert again.study_type == "Cohort"
    assert again.citation == after.citation


async def test_a_topic_change_replaces_the_topics(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    ledger = await ledger_with_raters(store)
    await register(ledger, "a1", topics=["Back Pain", "Sciatica"])
    await register(ledger, "a2", topics=["Sciatica"])

    await ledger.execute(ChangeTopics("a1", ["Neck Pain", "Back Pain"]), actor=EDITOR)

    found = await view(engine, "a1")
    assert found is not None
    assert found.topics == ("Neck Pain", "Back Pain")
    async with engine.connect() as conn:
        assert await topics(conn) == [("Back Pain", 1), ("Neck Pain", 1), ("Sciatica", 1)]


async def test_related_articles_rank_by_shared_topics_then_newest(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    ledger = await ledger_with_raters(store)
    await register(ledger, "a", ["Back Pain", "Neck Pain", "Sciatica"], published_on="2022-01-01")
    await register(ledger, "two-shared-old", ["Back Pain", "Neck Pain"], published_on="2019-03-01")
    await register(ledger, "one-shared-2024", ["Back Pain"], published_on="2024-02-02")
    await register(ledger, "one-shared-2023", ["Sciatica", "Asthma"], published_on="2023-06-06")
    await register(ledger, "one-shared-undated", ["Neck Pain"], published_on=None)
    await register(ledger, "none-shared", ["Asthma"], published_on="2025-01-01")
    await register(ledger, "one-shared-2024-later", ["Sciatica"], published_on="2024-02-02")

    async def related(first: int = 10) -> list[str]:
        async with engine.connect() as conn:
            return await related_articles(conn, "a", first)

    assert await related() == [
        "two-shared-old",
        "one-shared-2024-later",  # same date: registered later comes first
        "one-shared-2024",
        "one-shared-2023",
        "one-shared-undated",
    ]

    await ledger.execute(
        ChangeTopics("one-shared-2023", ["Sciatica", "Back Pain", "Neck Pain"]), actor=EDITOR
    )
    assert await related(2) == ["one-shared-2023", "two-shared-old"]


# -- idempotency -------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "call"), SQL_REQUESTS, ids=[name for name, _ in SQL_REQUESTS])
async def test_the_same_request_twice_returns_the_first_result_and_appends_nothing(
    store: SQLEventStore, engine: AsyncEngine, name: str, call: Call
) -> None:
    ledger, world = await build_world(store)

    first = await call(ledger, world, f"{name}-1")
    head = await store.head()
    tables = await view_tables_dump(engine)
    persons = await people_count(engine)
    second = await call(ledger, world, f"{name}-1")

    assert not first.replayed
    assert second.replayed
    assert dataclasses.replace(second, replayed=False) == first
    assert await store.head() == head
    assert await view_tables_dump(engine) == tables
    assert await people_count(engine) == persons


@pytest.mark.parametrize(
    ("case", "retry"),
    [
        (
            "other scores",
            lambda ledger: ledger.execute(
                SubmitRating("a1", "p2", 5, 4, "Good."), actor=rater("p2"), idempotency_key="k"
            ),
        ),
        (
            "another article",
            lambda ledger: ledger.execute(
                SubmitRating("gone", "p2", 6, 4, "Good."), actor=rater("p2"), idempotency_key="k"
            ),
        ),
        (
            "another use case",
            lambda ledger: ledger.execute(
                WithdrawRating("a1", "p2"), actor=rater("p2"), idempotency_key="k"
            ),
        ),
    ],
)
async def test_a_key_reused_for_a_different_command_is_refused(
    store: SQLEventStore, engine: AsyncEngine, case: str, retry: Callable[..., Awaitable[Any]]
) -> None:
    ledger, _ = await build_world(store)
    await ledger.execute(
        SubmitRating("a1", "p2", 6, 4, "Good."), actor=rater("p2"), idempotency_key="k"
    )
    head = await store.head()
    tables = await view_tables_dump(engine)

    with pytest.raises(IdempotencyKeyReused):
        await retry(ledger)

    assert await store.head() == head
    assert await view_tables_dump(engine) == tables


async def test_the_same_key_from_another_caller_is_an_unrelated_request(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    """Keys are each caller's own: a key another caller used (or took first, guessing it)
    neither refuses a request nor tells the caller that it was used."""
    ledger, _ = await build_world(store)
    squatted = await ledger.execute(
        PostComment("a1", "s1", "Taken first."), actor=subscriber("s1"), idempotency_key="rating-1"
    )

    rating = await ledger.execute(
        SubmitRating("a1", "p2", 6, 4, "Good."), actor=rater("p2"), idempotency_key="rating-1"
    )
    other_rating = await ledger.execute(
        SubmitRating("a1", "p3", 5, 5), actor=rater("p3"), idempotency_key="rating-1"
    )

    assert not rating.replayed
    assert not other_rating.replayed
    assert squatted.last_position < rating.last_position < other_rating.last_position
    head = await store.head()
    tables = await view_tables_dump(engine)
    # Each caller's retry is answered with its own first answer.
    retried = await ledger.execute(
        SubmitRating("a1", "p2", 6, 4, "Good."), actor=rater("p2"), idempotency_key="rating-1"
    )
    assert retried.replayed
    assert dataclasses.replace(retried, replayed=False) == rating
    with pytest.raises(IdempotencyKeyReused):
        await ledger.execute(
            SubmitRating("a1", "p3", 6, 6), actor=rater("p3"), idempotency_key="rating-1"
        )
    assert await store.head() == head
    assert await view_tables_dump(engine) == tables


async def test_callers_racing_with_one_key_each_get_their_own_request_done(
    database_url: str, store: SQLEventStore
) -> None:
    raters = {f"r{n}": "Physician" for n in range(RACERS)}
    await register(await ledger_with_raters(store, raters), "a1")
    head = await store.head()

    async with separate_stores(database_url, RACERS) as stores:
        results = await asyncio.gather(
            *(
                sql_ledger(s).execute(
                    SubmitRating("a1", rater_id, 5, 5),
                    actor=rater(rater_id),
                    idempotency_key="shared",
                )
                for s, rater_id in zip(stores, raters, strict=True)
            )
        )

    assert not any(r.replayed for r in results)
    assert (await store.head()).position == head.position + RACERS
    stored = await store.read_all(head.position)
    assert sorted(e.metadata.actor.id for e in stored) == sorted(raters)
    assert (await verify_projections(store)).ok


RACED: list[tuple[str, Call]] = [
    entry for entry in REQUESTS if entry[0] in ("submit_rating", "withdraw_rating", "enrol_rater")
]


@pytest.mark.parametrize(("name", "call"), RACED, ids=[name for name, _ in RACED])
async def test_the_same_request_raced_from_separate_stores_is_stored_once(
    database_url: str, store: SQLEventStore, engine: AsyncEngine, name: str, call: Call
) -> None:
    _, world = await build_world(store)
    head = await store.head()
    persons = await people_count(engine)

    async with separate_stores(database_url, RACERS) as stores:
        results = await asyncio.gather(
            *(call(sql_ledger(s), world, "raced-request") for s in stores)
        )

    positions = {(r.stream_id, r.first_position, r.last_position, r.last_version) for r in results}
    assert len(positions) == 1
    assert sorted(r.replayed for r in results) == [False] + [True] * (RACERS - 1)
    assert (await store.head()).position == head.position + 1
    stored = await store.read_all(head.position)
    assert [e.metadata.idempotency_key for e in stored] == ["raced-request"]
    assert await people_count(engine) == persons + (1 if name == "enrol_rater" else 0)
    assert (await verify_projections(store)).ok


async def test_a_retried_enrolment_creates_one_person(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    ledger = await ledger_with_raters(store)

    first = await ledger.execute(
        EnrolRater(discipline="Nurse", display_name="Ann Other"),
        actor=EDITOR,
        idempotency_key="enrol-ann",
    )
    again = await ledger.execute(
        EnrolRater(discipline="Nurse", display_name="Ann Other"),
        actor=EDITOR,
        idempotency_key="enrol-ann",
    )

    assert again.replayed
    assert again.first_position == first.first_position
    async with engine.connect() as conn:
        rows = (await conn.execute(select(people.c.display_name))).all()
    assert [row.display_name for row in rows] == ["Ann Other"]


# -- conflicts ---------------------------------------------------------------------------


async def test_raters_racing_on_one_article_all_succeed_through_conflict_retries(
    database_url: str, store: SQLEventStore, engine: AsyncEngine
) -> None:
    raters = {f"r{n}": "Physician" for n in range(RACERS)}
    await register(await ledger_with_raters(store, raters), "a1")

    async with separate_stores(database_url, RACERS) as stores:
        results = await asyncio.gather(
            *(
                sql_ledger(s).execute(
                    SubmitRating("a1", rater_id, 3 + n % 5, 7 - n % 7), actor=rater(rater_id)
                )
                for n, (s, rater_id) in enumerate(zip(stores, raters, strict=True))
            )
        )

    assert sorted(r.last_version for r in results) == list(range(2, RACERS + 2))
    physician = (await scores(engine, "a1"))["Physician"]
    assert physician.rating_count == RACERS
    assert physician.relevance == Fraction(sum(3 + n % 5 for n in range(RACERS)), RACERS)
    assert (await verify_projections(store)).ok


# -- people and events -------------------------------------------------------------------


async def test_names_and_emails_live_in_the_people_table_never_in_events(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    ledger = await ledger_with_raters(store)

    result = await ledger.execute(
        EnrolRater(
            rater_id="jane",
            discipline="Physician",
            display_name="Dr Jane Example",
            email="jane@example.org",
        ),
        actor=EDITOR,
    )

    person_id = result.events[0].payload["person_id"]
    async with engine.connect() as conn:
        person = (await conn.execute(select(people))).one()
        stored_payloads = list(await conn.scalars(select(events.c.payload)))
    assert (person.person_id, person.display_name, person.email) == (
        person_id,
        "Dr Jane Example",
        "jane@example.org",
    )
    payloads = [json.dumps(e.payload) for e in await store.read_all()]
    assert len(payloads) == len(stored_payloads) == 3
    for text in payloads + stored_payloads:
        assert "Dr Jane Example" not in text
        assert "jane@example.org" not in text
        assert "Jane" not in text


# -- projections behind ------------------------------------------------------------------


@pytest.mark.parametrize(
    "next_call",
    [
        "submit_rating",
        "post_comment",
        "register_article",
        "enrol_rater",
    ],
)
async def test_a_use_case_on_views_behind_the_ledger_catches_them_up_first(
    store: SQLEventStore, engine: AsyncEngine, next_call: str
) -> None:
    ledger, world = await build_world(store)
    before = await view_tables_dump(engine)
    async with engine.begin() as conn:
        for table in live_views.all():
            await conn.execute(delete(table))
        await conn.execute(update(projection_checkpoints).values(position=0))
    assert await view(engine, "a1") is None  # as if the views were just migrated in

    calls: dict[str, Call] = dict(REQUESTS)
    result = await calls[next_call](ledger, world, "after-migration")

    assert not result.replayed
    head = await store.head()
    assert result.last_position == head.position
    async with engine.connect() as conn:
        assert await checkpoint(conn) == head.position
    report = await verify_projections(store)
    assert report.ok, report.mismatches
    assert report.position == head.position
    after = await view_tables_dump(engine)
    for name, rows in before.items():
        # Everything the views held before is back; the new call only added to it.
        keys = {tuple(row[c.name] for c in _table(name).primary_key) for row in after[name]}
        assert {tuple(row[c.name] for c in _table(name).primary_key) for row in rows} <= keys


def _table(name: str) -> Any:
    return next(table for table in live_views.all() if table.name == name)


async def test_a_study_type_an_editor_adds_is_an_event_the_views_and_their_replay_agree_on(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    ledger = sql_ledger(store)
    await register(ledger, "a1")

    await ledger.execute(RegisterStudyType("Clinical prediction guide"), actor=EDITOR)
    await ledger.execute(
        CorrectArticle("a1", {"study_type": "clinical prediction guide"}, "misfiled"), actor=EDITOR
    )

    [added] = await store.read_stream("vocabulary:study-types")
    assert (added.type, added.payload) == (
        "StudyTypeRegistered",
        {"name": "Clinical prediction guide"},
    )
    corrected = await view(engine, "a1")
    assert corrected is not None
    assert corrected.study_type == "Clinical prediction guide"
    assert (await ledger.study_types())[-1] == "Clinical prediction guide"
    assert (await verify_projections(store)).ok


async def test_a_registration_files_its_topics_under_the_spelling_the_ledger_has(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    ledger = sql_ledger(store)
    await ledger.execute(
        RegisterArticle(article_id="a1", citation=citation("First"), topics=["Back Pain"]),
        actor=EDITOR,
    )

    await ledger.execute(
        RegisterArticle(
            article_id="a2", citation=citation("Second"), topics=["back pain ", "Neck"]
        ),
        actor=EDITOR,
    )

    second = await view(engine, "a2")
    assert second is not None
    assert second.topics == ("Back Pain", "Neck")
    async with engine.connect() as conn:
        assert await topics(conn) == [("Back Pain", 2), ("Neck", 1)]
