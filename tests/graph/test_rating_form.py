"""The full rating form over HTTP, on every backend: each answer the form allows is taken
and shown, each it refuses is a typed error that changes nothing."""

from __future__ import annotations

from typing import Any

from tests.graph.conftest import Api
from tests.graph.helpers import ledger_position
from tests.graph.test_ratings_over_http import (
    REVISE,
    SUBMIT,
    change,
    enrolled_rater,
    new_article,
    nurse_score,
)

FULL_SCORE = """
query($id: ID!) {
  article(id: $id) {
    disciplineScores {
      discipline { name } score relevance newsworthiness ratingCount newsworthinessCount
      meetsThreshold
    }
  }
}
"""
MY_RATINGS = """
{ me { ratings { relevance newsworthiness newsworthinessAbsent beyondExpertise comment
  history { kind relevance newsworthiness newsworthinessAbsent beyondExpertise } } } }
"""


async def nurse_scores(api: Api, article_id: str) -> list[dict[str, Any]]:
    article = (await api.data(FULL_SCORE, {"id": article_id}))["article"]
    return [s for s in article["disciplineScores"] if s["discipline"]["name"] == "Nurse"]


async def refused(api: Api, token: str, article: str, **answers: Any) -> dict[str, Any]:
    """The refusal of ``answers``; asserts that nothing was written or changed."""
    head = await ledger_position(api)
    before = await nurse_scores(api, article)
    result = await change(api, SUBMIT, token, articleId=article, **answers)
    assert result["__typename"] == "ValidationError", result
    assert result["code"] == "VALIDATION_FAILED"
    assert await ledger_position(api) == head
    assert await nurse_scores(api, article) == before
    return result


async def test_a_relevance_of_1_or_2_takes_no_newsworthiness(api: Api) -> None:
    editor = await api.token("editor")
    article = await new_article(api, editor)
    nurse = await enrolled_rater(api, editor, "nurse-low")

    for relevance in (1, 2):
        with_news = await refused(api, nurse, article, relevance=relevance, newsworthiness=4)
        assert with_news["field"] == "newsworthiness"
        assert "above 2" in with_news["message"]
        unknown = await refused(
            api, nurse, article, relevance=relevance, newsworthinessUnknown=True
        )
        assert unknown["field"] == "newsworthiness"

    taken = await change(api, SUBMIT, nurse, articleId=article, relevance=2)
    assert taken["__typename"] == "ArticlePayload", taken
    [score] = await nurse_scores(api, article)
    assert (score["ratingCount"], score["relevance"]) == (1, 2.0)
    assert (score["newsworthinessCount"], score["newsworthiness"]) == (0, None)
    [mine] = (await api.data(MY_RATINGS, token=nurse))["me"]["ratings"]
    assert (mine["newsworthiness"], mine["newsworthinessAbsent"]) == (None, "NOT_ASKED")


async def test_dont_know_leaves_newsworthiness_out_of_its_mean(api: Api) -> None:
    editor = await api.token("editor")
    article = await new_article(api, editor)
    nurses = [await enrolled_rater(api, editor, f"nurse-dk{n}") for n in range(4)]
    for token, news in zip(nurses[:3], (4, 5, 6), strict=True):
        await change(api, SUBMIT, token, articleId=article, relevance=6, newsworthiness=news)

    both = await refused(
        api, nurses[3], article, relevance=7, newsworthiness=3, newsworthinessUnknown=True
    )
    assert both["field"] == "newsworthiness"
    left_out = await refused(api, nurses[3], article, relevance=7)
    assert left_out["field"] == "newsworthiness"

    taken = await change(
        api, SUBMIT, nurses[3], articleId=article, relevance=7, newsworthinessUnknown=True
    )
    assert taken["__typename"] == "ArticlePayload", taken
    [score] = await nurse_scores(api, article)
    assert (score["ratingCount"], score["relevance"], score["score"]) == (4, 6.25, 6)
    assert (score["newsworthinessCount"], score["newsworthiness"]) == (3, 5.0)
    assert score["meetsThreshold"] is True
    [mine] = (await api.data(MY_RATINGS, token=nurses[3]))["me"]["ratings"]
    assert (mine["relevance"], mine["newsworthiness"]) == (7, None)
    assert mine["newsworthinessAbsent"] == "DONT_KNOW"


async def test_beyond_expertise_answers_but_counts_as_no_rating(api: Api) -> None:
    editor = await api.token("editor")
    article = await new_article(api, editor)
    nurse = await enrolled_rater(api, editor, "nurse-beyond")

    with_relevance = await refused(api, nurse, article, relevance=5, beyondExpertise=True)
    assert with_relevance["field"] == "relevance"
    with_news = await refused(api, nurse, article, newsworthiness=5, beyondExpertise=True)
    assert with_news["field"] == "newsworthiness"
    neither = await refused(api, nurse, article)
    assert neither["field"] == "relevance"

    taken = await change(
        api, SUBMIT, nurse, articleId=article, beyondExpertise=True, comment="Not my field."
    )
    assert taken["__typename"] == "ArticlePayload", taken
    assert await nurse_scores(api, article) == []  # no rating: no score at all
    [mine] = (await api.data(MY_RATINGS, token=nurse))["me"]["ratings"]
    assert mine["beyondExpertise"] is True
    assert (mine["relevance"], mine["newsworthinessAbsent"]) == (None, "BEYOND_EXPERTISE")

    # The same rater may revise it into a rating, which then counts.
    revised = await change(api, REVISE, nurse, articleId=article, relevance=5, newsworthiness=4)
    assert revised["__typename"] == "ArticlePayload", revised
    score = await nurse_score(api, article)
    assert score is not None
    assert (score["ratingCount"], score["relevance"], score["newsworthiness"]) == (1, 5.0, 4.0)
    [mine] = (await api.data(MY_RATINGS, token=nurse))["me"]["ratings"]
    assert [v["beyondExpertise"] for v in mine["history"]] == [True, False]


async def test_a_comment_of_1000_characters_is_taken_and_of_1001_refused(api: Api) -> None:
    editor = await api.token("editor")
    article = await new_article(api, editor)
    nurse = await enrolled_rater(api, editor, "nurse-words")

    too_long = await refused(api, nurse, article, relevance=5, newsworthiness=5, comment="w" * 1001)
    assert too_long["field"] == "comment"
    assert "1,000" in too_long["message"]

    taken = await change(
        api, SUBMIT, nurse, articleId=article, relevance=5, newsworthiness=5, comment="w" * 1000
    )
    assert taken["__typename"] == "ArticlePayload", taken
    assert taken["article"]["raterComments"] == [
        {"discipline": {"name": "Nurse"}, "body": "w" * 1000}
    ]


async def test_the_rating_scales_carry_the_forms_other_answers(api: Api) -> None:
    data = await api.data(
        "{ ratingScales { name labels { value } otherAnswer askedWhenRelevanceAbove } }"
    )
    relevance, newsworthiness = data["ratingScales"]
    assert relevance["otherAnswer"] == (
        "Beyond my personal area of expertise but may be of interest to my discipline"
    )
    assert relevance["askedWhenRelevanceAbove"] is None
    assert newsworthiness["otherAnswer"] == "I don't know if this is newsworthy"
    assert newsworthiness["askedWhenRelevanceAbove"] == 2
    assert [x["value"] for x in relevance["labels"]] == [7, 6, 5, 4, 3, 2, 1]
