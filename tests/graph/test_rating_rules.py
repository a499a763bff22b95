"""Rules of ratings and comments as a client meets them through the API, on every backend."""

from __future__ import annotations

from typing import Any

from tests.graph.conftest import Api
from tests.graph.helpers import SAMPLE_ID, ask_nurses, ledger_position
from tests.graph.test_ratings_over_http import REVISE, SUBMIT, change, enrolled_rater

RATER_COMMENTS = """
query($id: ID!) { article(id: $id) { raterComments { discipline { name } body } } }
"""


async def nurse_comments(api: Api) -> list[str]:
    article = (await api.data(RATER_COMMENTS, {"id": SAMPLE_ID}))["article"]
    return [c["body"] for c in article["raterComments"] if c["discipline"]["name"] == "Nurse"]


async def rated_with_comment(api: Api, rater_id: str) -> str:
    editor = await api.token("editor")
    nurse = await enrolled_rater(api, editor, rater_id)
    await ask_nurses(api)
    rated = await change(
        api, SUBMIT, nurse, articleId=SAMPLE_ID, relevance=6, newsworthiness=5, comment="Keep me."
    )
    assert rated["__typename"] == "ArticlePayload", rated
    return nurse


async def revise(api: Api, token: str, **fields: Any) -> dict[str, Any]:
    return await change(api, REVISE, token, articleId=SAMPLE_ID, **fields)


async def test_a_revision_without_a_comment_keeps_the_raters_comment(api: Api) -> None:
    nurse = await rated_with_comment(api, "nurse-keeps")

    revised = await revise(api, nurse, relevance=4, newsworthiness=4)

    assert revised["__typename"] == "ArticlePayload", revised
    assert await nurse_comments(api) == ["Keep me."]


async def test_a_revision_with_comment_null_removes_the_raters_comment(api: Api) -> None:
    nurse = await rated_with_comment(api, "nurse-clears")

    revised = await revise(api, nurse, relevance=6, newsworthiness=5, comment=None)

    assert revised["__typename"] == "ArticlePayload", revised
    assert await nurse_comments(api) == []


async def test_a_revision_that_leaves_out_only_an_unchanged_comment_is_refused(api: Api) -> None:
    nurse = await rated_with_comment(api, "nurse-same")
    before = await ledger_position(api)

    refused = await revise(api, nurse, relevance=6, newsworthiness=5)

    assert (refused["__typename"], refused["field"]) == ("ValidationError", "rating")
    assert await ledger_position(api) == before
    assert await nurse_comments(api) == ["Keep me."]
