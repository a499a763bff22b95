"""The runner's promises, for every command: retries answer once, refusals change nothing,
the views move with the append, and answers carry the domain ids."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from ledger.domain.commands import (
    ChangeTopics,
    ClearAlertProfile,
    Command,
    CorrectArticle,
    EnrolRater,
    HideComment,
    PostComment,
    RegisterArticle,
    RegisterDiscipline,
    RegisterStudyType,
    RestoreComment,
    RetractArticle,
    ReviseRating,
    SetAlertProfile,
    SubmitRating,
    WithdrawRating,
)
from ledger.domain.errors import (
    AlreadyExists,
    AlreadyRetracted,
    ArticleIsRetracted,
    DuplicateRating,
    IdempotencyKeyReused,
    LedgerError,
    NotFound,
    StaleExpectedVersion,
    ValidationFailed,
)
from ledger.domain.events import ArticleTopicsChanged
from ledger.store.records import Actor, AppendResult, NewEvent
from tests.use_cases.conftest import CITATION, EDITOR, SUBSCRIBER, World

Attempt = Callable[[World], Awaitable[Any]]


async def _snapshot(world: World) -> tuple[Any, ...]:
    """Everything a command could change: the log, the views' rows and the people."""
    log = [(e.position, e.hash) for e in await world.store.read_all(0, 10_000)]
    rows = {name: dict(rows.rows) for name, rows in vars(world.views.rows).items()}
    return log, copy.deepcopy(rows), world.views.checkpoint, dict(world.views.people)


REFUSALS: dict[str, tuple[Attempt, type[LedgerError]]] = {
    "a score outside 1..7": (lambda w: w.rate(relevance=8), ValidationFailed),
    "an unknown article": (
        lambda w: w.ledger.execute(SubmitRating("nope", w.rater_id, 5, 5), actor=w.rater),
        NotFound,
    ),
    "an unknown rater": (
        lambda w: w.ledger.execute(SubmitRating(w.article_id, "nobody", 5, 5), actor=w.rater),
        NotFound,
    ),
    "an empty comment": (
        lambda w: w.ledger.execute(
            PostComment(w.article_id, SUBSCRIBER.id, "  "), actor=SUBSCRIBER
        ),
        ValidationFailed,
    ),
    "a stale expected version": (
        lambda w: w.ledger.execute(
            RetractArticle(w.article_id, "why", expected_version=9), actor=EDITOR
        ),
        StaleExpectedVersion,
    ),
    "an article registered twice": (
        lambda w: w.ledger.execute(
            RegisterArticle(article_id=w.article_id, citation=CITATION, topics=["X"]), actor=EDITOR
        ),
        AlreadyExists,
    ),
    "an unknown study type": (
        lambda w: w.ledger.execute(
            CorrectArticle(w.article_id, {"study_type": "Horoscope"}, "typo"), actor=EDITOR
        ),
        ValidationFailed,
    ),
    "an unknown comment": (
        lambda w: w.ledger.execute(HideComment(w.article_id, "a1.c9", "spam"), actor=EDITOR),
        NotFound,
    ),
    "an enrolment in an unknown discipline": (
        lambda w: w.ledger.execute(
            EnrolRater(rater_id="r9", discipline="Astrologer", display_name="Someone"), actor=EDITOR
        ),
        NotFound,
    ),
    "a rater enrolled twice": (
        lambda w: w.ledger.execute(
            EnrolRater(rater_id=w.rater_id, discipline="Physician", display_name="Again"),
            actor=EDITOR,
        ),
        AlreadyExists,
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
async def test_a_refused_command_changes_nothing(world: World, case: str) -> None:
    attempt, refusal = REFUSALS[case]
    before = await _snapshot(world)

    with pytest.raises(refusal):
        await attempt(world)

    assert await _snapshot(world) == before


async def test_refusals_on_a_rated_and_retracted_article_change_nothing(world: World) -> None:
    await world.rate()
    with pytest.raises(DuplicateRating):
        await world.rate(relevance=3)
    await world.ledger.execute(RetractArticle(world.article_id, "fabricated data"), actor=EDITOR)
    before = await _snapshot(world)

    with pytest.raises(AlreadyRetracted):
        await world.ledger.execute(RetractArticle(world.article_id, "again"), actor=EDITOR)
    with pytest.raises(ArticleIsRetracted):
        await world.ledger.execute(
            WithdrawRating(world.article_id, world.rater_id), actor=world.rater
        )

    assert await _snapshot(world) == before


async def test_a_retried_request_gets_the_first_answer_and_appends_nothing(world: World) -> None:
    first = await world.rate(idempotency_key="k1")
    before = await _snapshot(world)

    again = await world.rate(idempotency_key="k1")

    assert again.replayed
    assert not first.replayed
    assert (again.last_position, again.rating_id) == (first.last_position, first.rating_id)
    assert await _snapshot(world) == before


async def test_a_key_used_for_another_request_is_refused(world: World) -> None:
    await world.rate(idempotency_key="k1")
    before = await _snapshot(world)

    with pytest.raises(IdempotencyKeyReused):
        await world.rate(relevance=3, idempotency_key="k1")

    assert await _snapshot(world) == before


async def test_the_views_move_in_the_same_step_as_the_append(world: World) -> None:
    result = await world.rate(relevance=6, newsworthiness=5)

    score = world.views.rows.scores.get((world.article_id, "Physician"))
    assert score is not None
    assert (score["relevance_sum"], score["newsworthiness_sum"], score["rating_count"]) == (6, 5, 1)
    assert world.views.checkpoint == result.last_position
    article = world.views.rows.articles.get(world.article_id)
    assert article is not None
    assert article["version"] == result.last_version


async def test_views_left_behind_catch_up_before_the_next_command_projects(world: World) -> None:
    # An event appended without projecting it (as after a migration on an existing ledger).
    topics = ArticleTopicsChanged(article_id=world.article_id, topics=("Neck Pain",))
    await world.store.append("article:a1", None, [NewEvent.of(topics)], actor=EDITOR)

    result = await world.rate()

    assert world.views.checkpoint == result.last_position
    assert world.views.rows.topics.get(world.article_id) == {"topics": ("Neck Pain",)}


async def test_an_attempt_decided_again_leaves_only_the_last_attempts_person(
    world: World,
) -> None:
    # Views left behind make the first attempt fail after it recorded a person.
    topics = ArticleTopicsChanged(article_id=world.article_id, topics=("Neck Pain",))
    await world.store.append("article:a1", None, [NewEvent.of(topics)], actor=EDITOR)
    people = len(world.views.people)

    await world.ledger.execute(
        EnrolRater(rater_id="nurse-1", discipline="Physician", display_name="Nurse Two"),
        actor=EDITOR,
    )

    assert len(world.views.people) == people + 1


async def test_an_enrolment_keeps_the_person_outside_the_log(world: World) -> None:
    await world.ledger.execute(
        EnrolRater(rater_id="nurse-1", discipline="physician", display_name="Nurse Two"),
        actor=EDITOR,
    )

    enrolment = await world.ledger.enrolment("nurse-1")
    assert enrolment.discipline == "Physician"  # the registered spelling
    assert world.views.people[enrolment.person_id].display_name == "Nurse Two"
    log = await world.store.read_all(0, 10_000)
    assert not any("Nurse Two" in str(e.payload) for e in log)


async def test_answers_carry_the_domain_ids_of_what_was_appended(world: World) -> None:
    rated = await world.rate()
    posted = await world.ledger.execute(
        PostComment(world.article_id, SUBSCRIBER.id, "Useful."), actor=SUBSCRIBER
    )
    enrolled = await world.ledger.execute(EnrolRater(discipline="Physician"), actor=EDITOR)

    assert (rated.article_id, rated.rater_id) == (world.article_id, world.rater_id)
    assert rated.rating_id == f"{world.article_id}.r{rated.last_version}"
    assert posted.comment_id == f"{world.article_id}.c{posted.last_version}"
    assert enrolled.rater_id is not None
    assert (await world.ledger.enrolment(enrolled.rater_id)).rater_id == enrolled.rater_id


async def test_a_retried_registration_answers_with_the_id_first_made_up(world: World) -> None:
    first = await world.ledger.execute(
        RegisterArticle(citation=CITATION, topics=["Back Pain"]),
        actor=EDITOR,
        idempotency_key="reg",
    )
    again = await world.ledger.execute(
        RegisterArticle(citation=CITATION, topics=["Back Pain"]),
        actor=EDITOR,
        idempotency_key="reg",
    )

    assert again.replayed
    assert first.article_id is not None
    assert again.article_id == first.article_id


async def test_a_topic_is_filed_under_the_spelling_the_ledger_already_has(world: World) -> None:
    result = await world.ledger.execute(
        RegisterArticle(citation=CITATION, topics=["back pain ", "Sciatica"]), actor=EDITOR
    )

    assert result.article_id is not None
    row = world.views.rows.topics.get(result.article_id)
    assert row == {"topics": ("Back Pain", "Sciatica")}


def _ids(result: AppendResult) -> tuple[str | None, ...]:
    return (result.article_id, result.rating_id, result.comment_id, result.rater_id)


async def test_every_command_names_its_ids_and_a_retry_names_the_same(world: World) -> None:
    """Each command says which ids it made or touched; the first answer, given again to a
    retry, says the same, though the retry decided nothing."""
    a, rater, reader = world.article_id, world.rater, Actor("subscriber-9", "subscriber")
    steps: list[tuple[Command, Actor, tuple[str | None, ...] | None]] = [
        (RegisterDiscipline("Nurse"), EDITOR, (None, None, None, None)),
        (EnrolRater(discipline="Nurse"), EDITOR, None),  # a rater id made up
        (RegisterStudyType("N-of-1 trial"), EDITOR, (None, None, None, None)),
        (RegisterArticle(citation=CITATION, topics=["Back Pain"]), EDITOR, None),
        (CorrectArticle(a, {"title": "Corrected"}, "typo"), EDITOR, (a, None, None, None)),
        (ChangeTopics(a, ["Neck Pain"]), EDITOR, (a, None, None, None)),
        (SubmitRating(a, world.rater_id, 6, 5), rater, (a, f"{a}.r4", None, world.rater_id)),
        (ReviseRating(a, world.rater_id, 5, 5), rater, (a, f"{a}.r4", None, world.rater_id)),
        (WithdrawRating(a, world.rater_id), rater, (a, f"{a}.r4", None, world.rater_id)),
        (PostComment(a, SUBSCRIBER.id, "Useful."), SUBSCRIBER, (a, None, f"{a}.c7", None)),
        (HideComment(a, f"{a}.c7", "spam"), EDITOR, (a, None, f"{a}.c7", None)),
        (RestoreComment(a, f"{a}.c7", "not spam"), EDITOR, (a, None, f"{a}.c7", None)),
        (
            SetAlertProfile(reader.id, ["Physician"], 6, 6, delivery="none"),
            reader,
            (None, None, None, None),
        ),
        (ClearAlertProfile(reader.id), reader, (None, None, None, None)),
        (RetractArticle(a, "fabricated data"), EDITOR, (a, None, None, None)),
    ]
    for number, (command, actor, expected) in enumerate(steps):
        key = f"ids-{number}"
        first = await world.ledger.execute(command, actor=actor, idempotency_key=key)
        again = await world.ledger.execute(command, actor=actor, idempotency_key=key)

        assert again.replayed, command
        assert _ids(again) == _ids(first), command
        if expected is not None:
            assert _ids(first) == expected, command
    made_up = [_ids(await world.ledger.execute(c, actor=EDITOR)) for c, _, e in steps[1:4:2]]
    assert made_up[0][3] is not None  # the rater's id, made up
    assert made_up[1][0] is not None  # the article's id, made up
