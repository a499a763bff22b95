"""Retraction is one rule everywhere: shown, with its reason; ratings and comments final."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from ledger.domain.commands import RetractArticle
from tests.graph.conftest import Api
from tests.graph.helpers import (
    EDITOR,
    SAMPLE_ID,
    ask_nurses,
    enrol,
    ledger_position,
    post_comment,
    rate,
)
from tests.graph.test_ratings_over_http import (
    HIDE,
    POST_COMMENT,
    RESTORE,
    REVISE,
    SUBMIT,
    WITHDRAW,
    change,
)

RATED, UNRATED = "nurse-rated-before", "nurse-not-yet"
ARTICLE = """
query($id: ID!) {
  article(id: $id) {
    retracted
    retraction { reason retractedAt }
    disciplineScores { discipline { name } score ratingCount meetsThreshold }
    raterComments { body }
    subscriberComments { body }
  }
}
"""

# Every change raters and subscribers can make to an article's ratings and comments.
CHANGES: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    "submitRating": (SUBMIT, "rater", UNRATED, {"relevance": 6, "newsworthiness": 6}),
    "reviseRating": (REVISE, "rater", RATED, {"relevance": 3, "newsworthiness": 2}),
    "reviseRating with a new comment": (
        REVISE,
        "rater",
        RATED,
        {"relevance": 3, "newsworthiness": 2, "comment": "Changed after all."},
    ),
    "withdrawRating": (WITHDRAW, "rater", RATED, {}),
    "postComment": (POST_COMMENT, "subscriber", "", {"body": "Glad it was pulled."}),
}


async def article(api: Api) -> dict[str, Any]:
    found: dict[str, Any] = (await api.data(ARTICLE, {"id": SAMPLE_ID}))["article"]
    return found


async def retracted_sample(api: Api) -> None:
    await enrol(api, RATED, "Nurse")
    await enrol(api, UNRATED, "Nurse")
    await ask_nurses(api)
    await rate(api, SAMPLE_ID, RATED, 5, 5, "Rated before the retraction.")
    await api.services.ledger.execute(RetractArticle(SAMPLE_ID, "Data fabrication"), actor=EDITOR)


async def test_an_article_not_retracted_has_no_retraction(api: Api) -> None:
    shown = await article(api)

    assert (shown["retracted"], shown["retraction"]) == (False, None)


async def test_a_retracted_article_stays_visible_with_its_reason_and_time(api: Api) -> None:
    before = await article(api)
    await retracted_sample(api)

    shown = await article(api)

    assert shown["retracted"] is True
    assert shown["retraction"]["reason"] == "Data fabrication"
    retracted_at = datetime.fromisoformat(shown["retraction"]["retractedAt"])
    assert retracted_at.utcoffset() is not None
    assert shown["raterComments"] == [
        *before["raterComments"],
        {"body": "Rated before the retraction."},
    ]


async def test_a_retracted_articles_scores_are_shown_but_meet_no_threshold(api: Api) -> None:
    physician = [
        s
        for s in (await article(api))["disciplineScores"]
        if s["discipline"]["name"] == "Physician"
    ]
    assert [s["meetsThreshold"] for s in physician] == [True]
    await api.services.ledger.execute(RetractArticle(SAMPLE_ID, "Data fabrication"), actor=EDITOR)

    after = [
        s
        for s in (await article(api))["disciplineScores"]
        if s["discipline"]["name"] == "Physician"
    ]

    assert [(s["score"], s["ratingCount"]) for s in after] == [
        (s["score"], s["ratingCount"]) for s in physician
    ]
    assert [s["meetsThreshold"] for s in after] == [False]


@pytest.mark.parametrize("name", list(CHANGES))
async def test_every_change_to_a_retracted_articles_ratings_and_comments_is_refused_alike(
    api: Api, name: str
) -> None:
    document, role, rater_id, fields = CHANGES[name]
    await retracted_sample(api)
    token = await api.token(role, rater_id or None)
    before, head = await article(api), await ledger_position(api)

    refused = await change(api, document, token, articleId=SAMPLE_ID, **fields)

    assert (refused["__typename"], refused["code"]) == ("Conflict", "ARTICLE_RETRACTED"), refused
    assert "retracted" in refused["message"]
    assert await ledger_position(api) == head
    assert await article(api) == before


async def test_editors_still_moderate_a_retracted_articles_comments(api: Api) -> None:
    comment_id = await post_comment(api, SAMPLE_ID, "subscriber-1", "Spam, spam.")
    await retracted_sample(api)
    editor = await api.token("editor")

    hidden = await change(
        api, HIDE, editor, articleId=SAMPLE_ID, commentId=comment_id, reason="Spam."
    )
    restored = await change(
        api, RESTORE, editor, articleId=SAMPLE_ID, commentId=comment_id, reason="Not spam."
    )

    assert hidden["__typename"] == "ArticlePayload", hidden
    assert restored["__typename"] == "ArticlePayload", restored
    assert (await article(api))["subscriberComments"] == [{"body": "Spam, spam."}]
