"""The ``Ledger-Position`` header: every mutation's answer carries the position it committed
at, and a request that sends it back is never answered from an older state, by any process;
a position the ledger does not have is refused at once."""

from __future__ import annotations

from typing import Any

import httpx

from graph.settings import Settings
from tests.graph.conftest import Api, running
from tests.graph.test_ratings_over_http import REVISE, SUBMIT, enrolled_rater, new_article

SCORE = """
query($id: ID!) {
  article(id: $id) { version disciplineScores { discipline { name } relevance ratingCount } }
}
"""


async def post(
    api: Api, document: str, variables: dict[str, Any], **headers: str
) -> httpx.Response:
    return await api.client.post(
        "/graphql", json={"query": document, "variables": variables}, headers=headers
    )


async def rated(api: Api, token: str, document: str, **fields: Any) -> httpx.Response:
    response = await post(api, document, {"input": fields}, authorization=f"Bearer {token}")
    assert response.status_code == 200, response.text
    [payload] = response.json()["data"].values()
    assert payload["__typename"] == "ArticlePayload", payload
    return response


async def test_a_mutation_answers_with_the_position_it_committed_at(api: Api) -> None:
    editor = await api.token("editor")
    article = await new_article(api, editor)
    nurse = await enrolled_rater(api, editor, "nurse-1")

    response = await rated(api, nurse, SUBMIT, articleId=article, relevance=6, newsworthiness=5)

    [payload] = response.json()["data"].values()
    assert response.headers["ledger-position"] == str(payload["position"])
    assert payload["position"] == (await api.services.store.head()).position


async def test_a_query_does_not_carry_a_position(shared_api: Api) -> None:
    response = await post(shared_api, "{ topics { name } }", {})
    assert response.status_code == 200
    assert "ledger-position" not in response.headers


async def test_a_rating_through_one_process_is_read_through_another_with_its_position(
    database_url: str,
) -> None:
    settings = Settings(database_url=database_url)
    async with running(settings) as one, running(settings) as two:
        editor = await one.token("editor")
        article = await new_article(one, editor)
        nurse = await enrolled_rater(one, editor, "nurse-1")
        await rated(one, nurse, SUBMIT, articleId=article, relevance=3, newsworthiness=1)
        for n in range(20):
            relevance = n % 5 + 3  # newsworthiness is asked above 2
            written = await rated(
                one, nurse, REVISE, articleId=article, relevance=relevance, newsworthiness=4
            )
            position = written.headers["ledger-position"]

            read = await post(two, SCORE, {"id": article}, **{"ledger-position": position})

            assert read.status_code == 200, read.text
            [score] = read.json()["data"]["article"]["disciplineScores"]
            assert (score["relevance"], score["ratingCount"]) == (relevance, 1)
            assert int(position) <= await two.services.changes.current()


async def test_a_position_the_ledger_does_not_have_is_refused_at_once(shared_api: Api) -> None:
    head = await shared_api.services.changes.current()

    response = await post(
        shared_api, "{ topics { name } }", {}, **{"ledger-position": str(head + 1000)}
    )

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert f"no position {head + 1000}" in error["message"]


async def test_a_position_that_is_not_a_number_is_refused(shared_api: Api) -> None:
    for sent in ("-1", "12abc", "1" * 40, "1.5", ""):
        response = await post(shared_api, "{ topics { name } }", {}, **{"ledger-position": sent})

        assert response.status_code == 400, sent
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_position_already_reached_is_answered(shared_api: Api) -> None:
    head = await shared_api.services.changes.current()

    response = await post(shared_api, "{ topics { name } }", {}, **{"ledger-position": str(head)})

    assert response.status_code == 200, response.text


async def test_browsers_of_allowed_origins_may_send_and_read_the_position(
    database_url: str,
) -> None:
    origin = "https://reader.example.org"
    settings = Settings(database_url=database_url, cors_origins=(origin,))
    async with running(settings) as api:
        preflight = await api.client.options(
            "/graphql",
            headers={
                "origin": origin,
                "access-control-request-method": "POST",
                "access-control-request-headers": "content-type, ledger-position",
            },
        )
        assert preflight.status_code == 200
        assert "ledger-position" in preflight.headers["access-control-allow-headers"].lower()
        answer = await api.client.post(
            "/graphql", json={"query": "{ topics { name } }"}, headers={"origin": origin}
        )
        assert "ledger-position" in answer.headers["access-control-expose-headers"].lower()
