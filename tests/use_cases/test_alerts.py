"""Alert profiles and the alert rule on the in-memory store: what is due, when, and once."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.domain.commands import (
    ChangeTopics,
    ClearAlertProfile,
    EnrolRater,
    RegisterArticle,
    RetractArticle,
    ReviseRating,
    SetAlertProfile,
    SubmitRating,
)
from ledger.domain.errors import NotASubscriber, NotFound, ValidationFailed
from ledger.store.records import Actor
from tests.use_cases.conftest import CITATION, EDITOR, World

READER = Actor("reader-1", "subscriber")


async def set_profile(world: World, **changes: Any) -> None:
    fields: dict[str, Any] = {
        "disciplines": ["Physician"],
        "relevance_cutoff": 6,
        "newsworthiness_cutoff": 5,
        "delivery": "none",
    } | changes
    await world.ledger.execute(SetAlertProfile(READER.id, **fields), actor=READER)


async def physicians(world: World, count: int) -> list[str]:
    ids = [f"physician-{n}" for n in range(2, count + 2)]
    for rater_id in ids:
        await world.ledger.execute(
            EnrolRater(rater_id=rater_id, discipline="Physician"), actor=EDITOR
        )
    return [world.rater_id, *ids]


async def rate_all(world: World, raters: list[str], relevance: int, news: int) -> None:
    for rater_id in raters:
        await world.ledger.execute(
            SubmitRating(
                article_id=world.article_id,
                rater_id=rater_id,
                relevance=relevance,
                newsworthiness=news,
            ),
            actor=Actor(rater_id, "rater"),
        )


def due(world: World) -> list[tuple[str, str, str | None]]:
    return [(a.article_id, a.kind, a.discipline) for a in world.views.alerts]


async def test_an_article_is_due_when_its_ratings_first_meet_the_cut_offs(world: World) -> None:
    await set_profile(world)
    raters = await physicians(world, 3)

    await rate_all(world, raters[:2], 7, 7)
    assert due(world) == []  # two ratings: under the score policy's minimum of three
    await rate_all(world, raters[2:3], 6, 5)

    assert due(world) == [("a1", "article", "Physician")]
    [alert] = world.views.alerts
    assert alert.position == (await world.store.head()).position


async def test_the_cut_offs_apply_to_the_unrounded_means(world: World) -> None:
    await set_profile(world, relevance_cutoff=6, newsworthiness_cutoff=1)
    raters = await physicians(world, 3)

    await rate_all(world, raters[:2], 6, 1)
    await rate_all(world, raters[2:], 5, 1)  # mean 5.67, shown as a score of 6

    assert due(world) == []


async def test_a_profile_set_later_applies_from_then_on_not_to_the_past(world: World) -> None:
    raters = await physicians(world, 4)
    await rate_all(world, raters[:3], 7, 7)  # meets any cut-off before the profile exists

    await set_profile(world)
    await rate_all(world, raters[3:], 7, 7)  # still meets it: nothing new to send
    assert due(world) == []

    await world.ledger.execute(
        RegisterArticle(article_id="a2", citation=CITATION, topics=["Back Pain"]), actor=EDITOR
    )
    for rater_id in raters[:3]:
        await world.ledger.execute(
            SubmitRating(article_id="a2", rater_id=rater_id, relevance=7, newsworthiness=7),
            actor=Actor(rater_id, "rater"),
        )
    assert due(world) == [("a2", "article", "Physician")]


async def test_an_alert_is_due_once_whatever_happens_after(world: World) -> None:
    await set_profile(world)
    raters = await physicians(world, 3)
    await rate_all(world, raters, 7, 7)
    rater = Actor(raters[0], "rater")

    await world.ledger.execute(
        ReviseRating(article_id="a1", rater_id=raters[0], relevance=3, newsworthiness=1),
        actor=rater,
    )  # below the cut-offs
    await world.ledger.execute(
        ReviseRating(article_id="a1", rater_id=raters[0], relevance=7, newsworthiness=7),
        actor=rater,
    )  # and above again
    await set_profile(world, relevance_cutoff=7)  # a changed profile, met as well

    assert due(world) == [("a1", "article", "Physician")]


async def test_a_retraction_notice_goes_to_those_alerted_once(world: World) -> None:
    await set_profile(world)
    other = Actor("reader-2", "subscriber")
    await world.ledger.execute(
        SetAlertProfile(other.id, ["Physician"], 7, 7, delivery="none"), actor=other
    )
    raters = await physicians(world, 3)
    await rate_all(world, raters, 6, 6)  # meets the first profile, not the other's

    await world.ledger.execute(
        RetractArticle(article_id="a1", reason="fabricated data"), actor=EDITOR
    )

    assert [(a.subscriber_id, a.kind) for a in world.views.alerts] == [
        (READER.id, "article"),
        (READER.id, "retraction"),
    ]
    ids = {a.alert_id for a in world.views.alerts}
    assert len(ids) == 2


async def test_topics_and_study_types_narrow_what_is_due(world: World) -> None:
    await set_profile(world, topics=["chronic pain"], study_types=["systematic review"])
    raters = await physicians(world, 3)
    await rate_all(world, raters, 7, 7)
    assert due(world) == []  # the article is about "Back Pain"

    await world.ledger.execute(
        ChangeTopics(article_id="a1", topics=["Back Pain", "Chronic Pain"]), actor=EDITOR
    )

    assert due(world) == [("a1", "article", "Physician")]


async def test_a_cleared_profile_makes_nothing_due(world: World) -> None:
    await set_profile(world)
    await world.ledger.execute(ClearAlertProfile(READER.id), actor=READER)
    await rate_all(world, await physicians(world, 3), 7, 7)

    assert due(world) == []


@pytest.mark.parametrize(
    ("actor", "changes", "refusal"),
    [
        (Actor("editor-1", "editor"), {}, NotASubscriber),
        (READER, {"disciplines": ["Astrologer"]}, NotFound),
        (READER, {"relevance_cutoff": 8}, ValidationFailed),
        (READER, {"newsworthiness_cutoff": True}, ValidationFailed),
        (READER, {"delivery": "hourly"}, ValidationFailed),
        (READER, {"delivery": "weekly", "email": None}, ValidationFailed),  # to no address
    ],
)
async def test_a_refused_profile_changes_nothing(
    world: World, actor: Actor, changes: dict[str, Any], refusal: type[Exception]
) -> None:
    head = await world.store.head()
    fields: dict[str, Any] = {
        "disciplines": ["Physician"],
        "relevance_cutoff": 5,
        "newsworthiness_cutoff": 5,
        "delivery": "daily",
        "email": "reader@example.org",
    } | changes
    command = SetAlertProfile(actor.id, **fields)

    with pytest.raises(refusal):
        await world.ledger.execute(command, actor=actor)

    assert await world.store.head() == head
    assert world.views.contacts == {}
