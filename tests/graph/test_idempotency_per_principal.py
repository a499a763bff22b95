"""Idempotency keys over HTTP: each principal's own, so nobody can take another's key."""

from __future__ import annotations

from tests.graph.conftest import Api
from tests.graph.helpers import SAMPLE_ID, ask_nurses, ledger_position
from tests.graph.test_ratings_over_http import (
    ENROL,
    POST_COMMENT,
    SUBMIT,
    change,
    enrolled_rater,
    new_article,
    nurse_score,
)

KEY = "rating-1"  # the README's example: easy to guess, so easy to take first


async def test_a_key_taken_first_by_others_neither_refuses_nor_replays_the_owners_request(
    api: Api,
) -> None:
    editor, subscriber = await api.token("editor"), await api.token("subscriber")
    nurse = await enrolled_rater(api, editor, "nurse-key")
    enrolled = await change(
        api, ENROL, editor, discipline="Nurse", raterId="nurse-other", idempotencyKey=KEY
    )
    commented = await change(
        api, POST_COMMENT, subscriber, articleId=SAMPLE_ID, body="First!", idempotencyKey=KEY
    )
    assert (enrolled["replayed"], commented["replayed"]) == (False, False)

    # An article of its own: the sample shows only its assigned discipline's score.
    article = await new_article(api, editor)
    rated = await change(
        api, SUBMIT, nurse, articleId=article, relevance=6, newsworthiness=5, idempotencyKey=KEY
    )

    assert rated["__typename"] == "ArticlePayload", rated
    assert not rated["replayed"]
    assert rated["position"] == await ledger_position(api)
    score = await nurse_score(api, article)
    assert score is not None
    assert (score["ratingCount"], score["relevance"]) == (1, 6.0)


async def test_each_principals_retry_with_a_shared_key_replays_its_own_answer(api: Api) -> None:
    editor, subscriber = await api.token("editor"), await api.token("subscriber")
    nurse = await enrolled_rater(api, editor, "nurse-key")
    await ask_nurses(api)
    comment = {"articleId": SAMPLE_ID, "body": "Useful.", "idempotencyKey": KEY}
    rating = {"articleId": SAMPLE_ID, "relevance": 6, "newsworthiness": 5, "idempotencyKey": KEY}
    commented = await change(api, POST_COMMENT, subscriber, **comment)
    rated = await change(api, SUBMIT, nurse, **rating)
    head = await ledger_position(api)

    comment_again = await change(api, POST_COMMENT, subscriber, **comment)
    rating_again = await change(api, SUBMIT, nurse, **rating)

    assert (comment_again["replayed"], comment_again["position"]) == (True, commented["position"])
    assert (rating_again["replayed"], rating_again["position"]) == (True, rated["position"])
    assert commented["position"] < rated["position"] == head
    assert await ledger_position(api) == head
