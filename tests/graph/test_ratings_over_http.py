"""Raters rate over HTTP; retries are idempotent; stale versions conflict; editors moderate."""

from __future__ import annotations

from typing import Any

from ledger.domain.commands import AssignDisciplines
from ledger.use_cases.tokens import issue_token
from tests.graph.conftest import Api
from tests.graph.helpers import EDITOR, SAMPLE_ID, ask_nurses, ledger_position

RESULT = """
  __typename
  ... on ArticlePayload {
    position replayed
    article {
      version
      disciplineScores { discipline { name } score outOf relevance newsworthiness ratingCount }
      raterComments { discipline { name } body }
      subscriberComments { id author body }
    }
  }
  ... on Error { code message }
  ... on ValidationError { field }
  ... on Conflict { expectedVersion actualVersion }
"""


def mutation(name: str, input_type: str) -> str:
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {RESULT} }} }}"


REGISTER = mutation("registerArticle", "RegisterArticleInput")
SUBMIT = mutation("submitRating", "SubmitRatingInput")
REVISE = mutation("reviseRating", "ReviseRatingInput")
WITHDRAW = mutation("withdrawRating", "WithdrawRatingInput")
POST_COMMENT = mutation("postComment", "PostCommentInput")
HIDE = mutation("hideComment", "HideCommentInput")
RESTORE = mutation("restoreComment", "RestoreCommentInput")
ENROL = """
mutation($input: EnrollRaterInput!) {
  enrollRater(input: $input) {
    __typename
    ... on RaterPayload { rater { id discipline { name } } position replayed }
    ... on Error { code message }
  }
}
"""
SCORES = """
query($id: ID!) {
  article(id: $id) {
    version
    disciplineScores { discipline { name } score outOf relevance newsworthiness ratingCount }
    raterComments { discipline { name } body }
    subscriberComments { id author body }
  }
}
"""


async def change(api: Api, document: str, token: str, **input_fields: Any) -> dict[str, Any]:
    data = await api.data(document, {"input": input_fields}, token)
    [result] = data.values()
    assert isinstance(result, dict)
    return result


async def nurse_score(api: Api, article_id: str) -> dict[str, Any] | None:
    article = (await api.data(SCORES, {"id": article_id}))["article"]
    found = [s for s in article["disciplineScores"] if s["discipline"]["name"] == "Nurse"]
    return found[0] if found else None


async def enrolled_rater(api: Api, editor: str, rater_id: str, discipline: str = "Nurse") -> str:
    """Enrol a rater over HTTP as an editor; returns a rater token bound to them."""
    result = await change(
        api, ENROL, editor, discipline=discipline, raterId=rater_id, displayName=f"{rater_id} name"
    )
    assert result["__typename"] == "RaterPayload", result
    assert result["rater"] == {"id": rater_id, "discipline": {"name": discipline}}
    return await api.token("rater", rater_id)


async def new_article(api: Api, editor: str, title: str = "Ward rounds and falls") -> str:
    result = await change(
        api,
        REGISTER,
        editor,
        title=title,
        journal="Journal of Nursing",
        studyType="Cohort",
        abstract="Falls fell.",
        topics=["Falls"],
    )
    assert result["__typename"] == "ArticlePayload", result
    assert result["article"]["disciplineScores"] == []
    data = await api.data("{ articles(first: 1) { edges { node { id } } } }")
    article_id: str = data["articles"]["edges"][0]["node"]["id"]
    return article_id


async def test_submit_revise_and_withdraw_move_the_discipline_score(api: Api) -> None:
    editor = await api.token("editor")
    article = await new_article(api, editor)
    nurses = [await enrolled_rater(api, editor, f"nurse-{n}") for n in (1, 2, 3)]

    first = await change(
        api, SUBMIT, nurses[0], articleId=article, relevance=6, newsworthiness=3, comment="Good."
    )
    assert first["__typename"] == "ArticlePayload", first
    [score] = first["article"]["disciplineScores"]
    assert score["discipline"] == {"name": "Nurse"}
    assert (score["ratingCount"], score["relevance"], score["newsworthiness"]) == (1, 6.0, 3.0)
    assert score["score"] is None  # pending below three ratings
    assert first["article"]["raterComments"] == [{"discipline": {"name": "Nurse"}, "body": "Good."}]

    second = await change(api, SUBMIT, nurses[1], articleId=article, relevance=5, newsworthiness=4)
    assert second["position"] > first["position"]
    [score] = second["article"]["disciplineScores"]
    assert (score["ratingCount"], score["relevance"], score["score"]) == (2, 5.5, None)

    # A relevance of 2 asks no newsworthiness: its mean stays over the two who gave one.
    third = await change(api, SUBMIT, nurses[2], articleId=article, relevance=2)
    [score] = third["article"]["disciplineScores"]
    assert (score["ratingCount"], score["relevance"], score["newsworthiness"]) == (3, 13 / 3, 3.5)
    assert (score["score"], score["outOf"]) == (4, 7)
    assert await nurse_score(api, article) == score  # the next query sees what the answer said

    revised = await change(
        api, REVISE, nurses[2], articleId=article, relevance=7, newsworthiness=5, comment="Better."
    )
    assert revised["__typename"] == "ArticlePayload", revised
    [score] = revised["article"]["disciplineScores"]
    assert (score["ratingCount"], score["relevance"], score["score"]) == (3, 6.0, 6)
    assert [c["body"] for c in revised["article"]["raterComments"]] == ["Good.", "Better."]

    withdrawn = await change(api, WITHDRAW, nurses[0], articleId=article)
    assert withdrawn["__typename"] == "ArticlePayload", withdrawn
    [score] = withdrawn["article"]["disciplineScores"]
    assert (score["ratingCount"], score["relevance"], score["newsworthiness"]) == (2, 6.0, 4.5)
    assert score["score"] is None
    assert [c["body"] for c in withdrawn["article"]["raterComments"]] == ["Better."]
    assert await nurse_score(api, article) == score


async def nurses_rate_the_sample_too(api: Api) -> None:
    """The sample is rated by request in Physician: assigning it Nurse as well asks the
    nurses enrolled so far, and shows their score."""
    await api.services.ledger.execute(
        AssignDisciplines(SAMPLE_ID, ["Physician", "Nurse"]), actor=EDITOR
    )


async def test_a_rating_in_one_discipline_leaves_the_others_alone(api: Api) -> None:
    editor = await api.token("editor")
    nurse = await enrolled_rater(api, editor, "nurse-a")
    await nurses_rate_the_sample_too(api)

    result = await change(api, SUBMIT, nurse, articleId=SAMPLE_ID, relevance=1)

    scores = {s["discipline"]["name"]: s for s in result["article"]["disciplineScores"]}
    assert set(scores) == {"Nurse", "Physician"}
    assert (scores["Physician"]["score"], scores["Physician"]["ratingCount"]) == (6, 3)
    assert scores["Nurse"]["ratingCount"] == 1


async def test_a_retried_rating_gets_the_same_answer_and_changes_nothing(api: Api) -> None:
    editor = await api.token("editor")
    nurse = await enrolled_rater(api, editor, "nurse-retry")
    await nurses_rate_the_sample_too(api)
    rating = {"articleId": SAMPLE_ID, "relevance": 5, "newsworthiness": 6, "comment": "Once."}

    first = await change(api, SUBMIT, nurse, **rating, idempotencyKey="rate-once-1")
    head = await ledger_position(api)
    retried = await change(api, SUBMIT, nurse, **rating, idempotencyKey="rate-once-1")

    assert first["__typename"] == retried["__typename"] == "ArticlePayload"
    assert (first["replayed"], retried["replayed"]) == (False, True)
    assert retried["position"] == first["position"] == head
    assert await ledger_position(api) == head
    assert retried["article"] == first["article"]
    score = await nurse_score(api, SAMPLE_ID)
    assert score is not None
    assert score["ratingCount"] == 1


async def test_a_retried_enrolment_gets_the_same_answer(api: Api) -> None:
    editor = await api.token("editor")
    enrolment = {"discipline": "Pharmacist", "raterId": "pharm-1", "idempotencyKey": "enrol-p1"}

    first = await change(api, ENROL, editor, **enrolment)
    head = await ledger_position(api)
    retried = await change(api, ENROL, editor, **enrolment)

    assert (first["replayed"], retried["replayed"]) == (False, True)
    assert retried["position"] == first["position"] == head
    assert retried["rater"] == first["rater"]
    assert await ledger_position(api) == head


async def test_the_same_key_with_other_arguments_is_a_conflict(api: Api) -> None:
    editor = await api.token("editor")
    nurse = await enrolled_rater(api, editor, "nurse-key")
    await nurses_rate_the_sample_too(api)
    await change(
        api, SUBMIT, nurse, articleId=SAMPLE_ID, relevance=5, newsworthiness=6, idempotencyKey="k"
    )
    head = await ledger_position(api)

    reused = await change(
        api, SUBMIT, nurse, articleId=SAMPLE_ID, relevance=3, newsworthiness=6, idempotencyKey="k"
    )

    assert reused["__typename"] == "Conflict"
    assert reused["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await ledger_position(api) == head
    score = await nurse_score(api, SAMPLE_ID)
    assert score is not None
    assert (score["ratingCount"], score["relevance"]) == (1, 5.0)


async def test_a_stale_expected_version_is_a_conflict(api: Api) -> None:
    editor = await api.token("editor")
    nurse = await enrolled_rater(api, editor, "nurse-stale")
    other = await enrolled_rater(api, editor, "nurse-other")
    await ask_nurses(api)
    submitted = await change(api, SUBMIT, nurse, articleId=SAMPLE_ID, relevance=5, newsworthiness=5)
    seen = submitted["article"]["version"]
    await change(api, SUBMIT, other, articleId=SAMPLE_ID, relevance=3, newsworthiness=3)
    head = await ledger_position(api)

    stale = await change(
        api,
        REVISE,
        nurse,
        articleId=SAMPLE_ID,
        relevance=7,
        newsworthiness=7,
        expectedVersion=seen,
    )
    stale_withdrawal = await change(api, WITHDRAW, nurse, articleId=SAMPLE_ID, expectedVersion=seen)

    for refused in (stale, stale_withdrawal):
        assert refused["__typename"] == "Conflict", refused
        assert refused["code"] == "STALE_VERSION"
        assert (refused["expectedVersion"], refused["actualVersion"]) == (seen, seen + 1)
    assert await ledger_position(api) == head
    fresh = await change(
        api,
        REVISE,
        nurse,
        articleId=SAMPLE_ID,
        relevance=7,
        newsworthiness=7,
        expectedVersion=seen + 1,
    )
    assert fresh["__typename"] == "ArticlePayload", fresh
    assert fresh["article"]["version"] == seen + 2


async def test_subscriber_comments_are_posted_hidden_and_restored(api: Api) -> None:
    editor = await api.token("editor")
    issued = await issue_token(api.services.engine, "subscriber", name="Dr Reader")
    subscriber = issued.token
    body = 'Does this apply to <b>older</b> adults? & what about "frailty"?'

    posted = await change(api, POST_COMMENT, subscriber, articleId=SAMPLE_ID, body=body)

    assert posted["__typename"] == "ArticlePayload", posted
    [comment] = posted["article"]["subscriberComments"]
    assert (comment["author"], comment["body"]) == ("Dr Reader", body)
    public = (await api.data(SCORES, {"id": SAMPLE_ID}))["article"]
    assert public["subscriberComments"] == [comment]

    hidden = await change(
        api, HIDE, editor, articleId=SAMPLE_ID, commentId=comment["id"], reason="Off topic."
    )
    assert hidden["__typename"] == "ArticlePayload", hidden
    assert hidden["article"]["subscriberComments"] == []
    public = (await api.data(SCORES, {"id": SAMPLE_ID}))["article"]
    assert public["subscriberComments"] == []

    hidden_again = await change(
        api, HIDE, editor, articleId=SAMPLE_ID, commentId=comment["id"], reason="Again."
    )
    assert hidden_again["__typename"] == "Conflict"
    assert hidden_again["code"] == "WRONG_COMMENT_STATE"

    restored = await change(
        api, RESTORE, editor, articleId=SAMPLE_ID, commentId=comment["id"], reason="On topic."
    )
    assert restored["__typename"] == "ArticlePayload", restored
    assert restored["article"]["subscriberComments"] == [comment]
    public = (await api.data(SCORES, {"id": SAMPLE_ID}))["article"]
    assert public["subscriberComments"] == [comment]


async def test_a_subscriber_without_a_name_is_shown_as_subscriber(api: Api) -> None:
    subscriber = await api.token("subscriber")

    posted = await change(api, POST_COMMENT, subscriber, articleId=SAMPLE_ID, body="Thanks.")

    assert [(c["author"], c["body"]) for c in posted["article"]["subscriberComments"]] == [
        ("Subscriber", "Thanks.")
    ]


async def test_a_second_active_rating_is_refused(api: Api) -> None:
    editor = await api.token("editor")
    nurse = await enrolled_rater(api, editor, "nurse-twice")
    await ask_nurses(api)
    await change(api, SUBMIT, nurse, articleId=SAMPLE_ID, relevance=4, newsworthiness=4)
    head = await ledger_position(api)

    again = await change(api, SUBMIT, nurse, articleId=SAMPLE_ID, relevance=5, newsworthiness=5)

    assert (again["__typename"], again["code"]) == ("Conflict", "DUPLICATE_RATING")
    assert await ledger_position(api) == head
