"""Topics and study types are a vocabulary, not free text, on every backend."""

from __future__ import annotations

from typing import Any

from ledger.domain.vocabulary import DEFAULT_STUDY_TYPES
from tests.graph.conftest import Api
from tests.graph.helpers import SAMPLE_ID, ledger_position, register
from tests.graph.test_ratings_over_http import REGISTER, change, mutation

CORRECT = mutation("correctArticle", "CorrectArticleInput")
REGISTER_STUDY_TYPE = """
mutation($input: RegisterStudyTypeInput!) {
  registerStudyType(input: $input) {
    __typename
    ... on StudyTypePayload { studyType replayed }
    ... on Error { code message }
  }
}
"""
ARTICLE = "query($id: ID!) { article(id: $id) { studyType topics { name articleCount } } }"


async def registered(api: Api, editor: str, **fields: Any) -> dict[str, Any]:
    article = {
        "title": "Yoga for back pain",
        "journal": "Spine",
        "studyType": "Randomized controlled trial",
        "abstract": "Yoga helped.",
        "topics": ["Back Pain"],
    }
    return await change(api, REGISTER, editor, **(article | fields))


async def shown(api: Api, article_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (await api.data(ARTICLE, {"id": article_id}))["article"]
    return found


async def test_registering_back_pain_reuses_the_ledgers_back_pain(api: Api) -> None:
    editor = await api.token("editor")

    result = await registered(api, editor, topics=["back pain", "  CHRONIC LOW BACK PAIN", "Yoga"])

    assert result["__typename"] == "ArticlePayload", result
    article_id = (await api.data("{ articles(first: 1) { edges { node { articleId } } } }"))[
        "articles"
    ]["edges"][0]["node"]["articleId"]
    assert (await shown(api, article_id))["topics"] == [
        {"name": "Back Pain", "articleCount": 2},
        {"name": "Chronic Low Back Pain", "articleCount": 2},
        {"name": "Yoga", "articleCount": 1},
    ]
    names = [t["name"] for t in (await api.data("{ topics { name } }"))["topics"]]
    assert sorted(names) == ["Back Pain", "Chronic Low Back Pain", "Yoga"]


async def test_correcting_topics_reuses_the_ledgers_spelling(api: Api) -> None:
    other = await register(api, "Neck pain trial", ["Neck Pain"])
    editor = await api.token("editor")

    result = await change(
        api,
        CORRECT,
        editor,
        articleId=other,
        reason="Filed wrongly",
        topics=["neck pain", "back PAIN"],
    )

    assert result["__typename"] == "ArticlePayload", result
    assert [t["name"] for t in (await shown(api, other))["topics"]] == ["Neck Pain", "Back Pain"]


async def test_a_study_type_is_taken_in_the_vocabularys_spelling(api: Api) -> None:
    editor = await api.token("editor")

    result = await registered(api, editor, studyType="systematic REVIEW")

    assert result["__typename"] == "ArticlePayload", result
    listed = await api.data("{ articles(first: 1) { edges { node { studyType } } } }")
    assert listed["articles"]["edges"][0]["node"]["studyType"] == "Systematic review"


async def test_an_unknown_study_type_is_refused_with_the_list_and_changes_nothing(
    api: Api,
) -> None:
    editor = await api.token("editor")
    head = await ledger_position(api)

    refused = await registered(api, editor, studyType="Cohort study")
    corrected = await change(
        api, CORRECT, editor, articleId=SAMPLE_ID, reason="Misfiled", studyType="Horoscope"
    )

    for result in (refused, corrected):
        assert (result["__typename"], result["code"], result["field"]) == (
            "ValidationError",
            "VALIDATION_FAILED",
            "studyType",
        )
        assert all(known in result["message"] for known in DEFAULT_STUDY_TYPES)
    assert await ledger_position(api) == head
    assert (await shown(api, SAMPLE_ID))["studyType"] == "Systematic review"


async def test_an_editor_extends_the_study_types_and_articles_may_then_have_it(api: Api) -> None:
    editor = await api.token("editor")
    assert (await api.data("{ studyTypes }"))["studyTypes"] == list(DEFAULT_STUDY_TYPES)

    added = await change(api, REGISTER_STUDY_TYPE, editor, name=" Clinical prediction guide ")
    again = await change(api, REGISTER_STUDY_TYPE, editor, name="clinical PREDICTION guide")
    result = await registered(api, editor, studyType="Clinical prediction guide")

    assert added == {
        "__typename": "StudyTypePayload",
        "studyType": "Clinical prediction guide",
        "replayed": False,
    }
    assert (again["__typename"], again["code"]) == ("Conflict", "ALREADY_EXISTS")
    assert result["__typename"] == "ArticlePayload", result
    assert (await api.data("{ studyTypes }"))["studyTypes"] == [
        *DEFAULT_STUDY_TYPES,
        "Clinical prediction guide",
    ]


async def test_only_an_editor_extends_the_study_types(api: Api) -> None:
    head = await ledger_position(api)

    for token in (None, await api.token("subscriber"), await api.token("auditor")):
        refused = (await api.data(REGISTER_STUDY_TYPE, {"input": {"name": "Audit"}}, token))[
            "registerStudyType"
        ]
        assert (refused["__typename"], refused["code"]) == ("NotAllowed", "NOT_ALLOWED")
    assert await ledger_position(api) == head


async def test_a_topics_article_count_is_what_the_topic_filter_finds_across_its_spellings(
    api: Api,
) -> None:
    # "Épaule" and "épaule" stay two spellings (only ASCII case joins topics), as two racing
    # registrations of "back pain" and "Back pain" would; the list's filter folds them as one.
    editor = await api.token("editor")
    for topic in ("Épaule", "épaule"):
        assert (await registered(api, editor, topics=[topic]))["__typename"] == "ArticlePayload"

    found = await api.data(
        "query($topic: String) { articles(first: 10, topic: $topic) "
        "{ edges { node { topics { name articleCount } } } } }",
        {"topic": "épaule"},
    )

    edges = found["articles"]["edges"]
    assert len(edges) == 2
    counts = {t["name"]: t["articleCount"] for edge in edges for t in edge["node"]["topics"]}
    assert counts == {"Épaule": 2, "épaule": 2}
    listed = (await api.data("{ topics { name articleCount } }"))["topics"]
    assert {t["name"]: t["articleCount"] for t in listed if t["name"] in counts} == counts
