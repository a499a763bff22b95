"""What a front-end needs to draw an article and the rating form without hard-coding any."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from graph.settings import Settings
from ledger.domain.commands import AssignDisciplines
from ledger.domain.scores import ScorePolicy
from tests.graph.conftest import Api, running
from tests.graph.helpers import EDITOR, SAMPLE_ID, counting_statements, enrol, rate, register

ARTICLE = """
query($id: ID!) {
  article(id: $id) {
    id articleId
    scorePolicy {
      minRatings minRatingsForThreshold relevanceThreshold newsworthinessThreshold outOf
    }
    topics { name articleCount }
    disciplineScores { discipline { name } score ratingCount missingRatings }
  }
}
"""
SCALES = "{ ratingScales { name question labels { value label } } }"
PAGE_WITH_TOPICS = """
query($first: Int) { articles(first: $first) { edges { node { topics { name articleCount } } } } }
"""
USEFUL = "Useful information, most practitioners in my discipline"


async def article(api: Api, article_id: str = SAMPLE_ID) -> dict[str, Any]:
    found: dict[str, Any] = (await api.data(ARTICLE, {"id": article_id}))["article"]
    return found


async def test_an_article_gives_its_short_id_which_finds_it_again(api: Api) -> None:
    shown = await article(api)

    assert shown["articleId"] == SAMPLE_ID
    assert (await article(api, shown["articleId"]))["id"] == shown["id"]


async def test_the_rating_form_comes_in_the_reference_services_own_words(api: Api) -> None:
    relevance, newsworthiness = (await api.data(SCALES))["ratingScales"]

    assert relevance == {
        "name": "relevance",
        "question": "Relevance to clinical practice in your discipline",
        "labels": [
            {"value": 7, "label": "Directly and highly relevant"},
            {"value": 6, "label": "Definitely relevant"},
            {"value": 5, "label": "Probably relevant"},
            {
                "value": 4,
                "label": "Possibly relevant - likely of indirect or peripheral relevance at best",
            },
            {"value": 3, "label": "Possibly not relevant"},
            {"value": 2, "label": "Probably not relevant: content only remotely related"},
            {"value": 1, "label": "Definitely not relevant: completely unrelated content area"},
        ],
    }
    assert newsworthiness == {
        "name": "newsworthiness",
        "question": "Newsworthiness to clinical practice in your discipline",
        "labels": [
            {
                "value": 7,
                "label": f"{USEFUL} definitely don't know this"
                " (unless they have read this article)",
            },
            {"value": 6, "label": f"{USEFUL} probably don't know this"},
            {"value": 5, "label": f"{USEFUL} possibly don't know this"},
            {"value": 4, "label": f"{USEFUL} possibly already know this"},
            {"value": 3, "label": f"{USEFUL} probably already know this"},
            {"value": 2, "label": "It probably doesn't matter whether they know this or not"},
            {"value": 1, "label": "Not of direct clinical interest"},
        ],
    }


async def test_the_score_policy_is_the_deployments_own(database_url: str) -> None:
    policy = ScorePolicy(
        min_ratings_for_score=2,
        relevance_threshold=Fraction(9, 2),
        newsworthiness_threshold=Fraction(5),
        min_ratings_for_threshold=4,
    )
    async with running(Settings(database_url=database_url, score_policy=policy)) as api:
        shown = await article(api)

    assert shown["scorePolicy"] == {
        "minRatings": 2,
        "minRatingsForThreshold": 4,
        "relevanceThreshold": 4.5,
        "newsworthinessThreshold": 5.0,
        "outOf": 7,
    }


async def test_a_discipline_score_says_how_many_ratings_are_still_missing(api: Api) -> None:
    await enrol(api, "nurse-first", "Nurse")
    # Scores show in the assigned disciplines: the sample's Physician, and now Nurse (which
    # asks the nurse to rate it).
    await api.services.ledger.execute(
        AssignDisciplines(SAMPLE_ID, ["Physician", "Nurse"]), actor=EDITOR
    )
    await rate(api, SAMPLE_ID, "nurse-first", 6, 5)

    scores = {s["discipline"]["name"]: s for s in (await article(api))["disciplineScores"]}

    assert (scores["Nurse"]["score"], scores["Nurse"]["missingRatings"]) == (None, 2)
    assert scores["Physician"]["score"] is not None
    assert scores["Physician"]["missingRatings"] == 0


async def test_an_articles_topics_say_how_many_articles_carry_them(api: Api) -> None:
    await register(api, "Another back pain trial", ["Back Pain", "Sciatica"])
    everywhere = {
        t["name"]: t["articleCount"]
        for t in (await api.data("{ topics { name articleCount } }"))["topics"]
    }

    topics = (await article(api))["topics"]

    assert {t["name"]: t["articleCount"] for t in topics} == {
        "Back Pain": 2,
        "Chronic Low Back Pain": 1,
    }
    assert all(everywhere[t["name"]] == t["articleCount"] for t in topics)


async def test_topic_counts_on_a_page_of_articles_cost_the_same_statements_whatever_its_size(
    api: Api,
) -> None:
    for n in range(12):
        await register(api, f"Trial {n}", ["Shared", f"Topic {n}"])

    with counting_statements(api) as small:
        small_page = await api.data(PAGE_WITH_TOPICS, {"first": 3})
    with counting_statements(api) as large:
        large_page = await api.data(PAGE_WITH_TOPICS, {"first": 12})

    topics = [t for edge in large_page["articles"]["edges"] for t in edge["node"]["topics"]]
    assert {t["articleCount"] for t in topics if t["name"] == "Shared"} == {12}
    assert {t["articleCount"] for t in topics if t["name"] != "Shared"} == {1}
    assert len(small_page["articles"]["edges"]) == 3
    assert len(small) == len(large)
