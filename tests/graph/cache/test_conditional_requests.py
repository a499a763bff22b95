"""ETag, 304 and Cache-Control on cacheable reads, and the kept answer served without
executing (the app's execution counter shows it)."""

from __future__ import annotations

from typing import Any

import httpx

from graph.http.response_cache import ResponseCache
from graph.settings import Settings
from ledger.domain.commands import RegisterDiscipline
from tests.graph.conftest import Api, running
from tests.graph.helpers import EDITOR, SAMPLE_ID, rate, register

ARTICLE = """query Article($id: ID!) {
  article(id: $id) { articleId version disciplineScores { discipline { name } ratingCount } }
}"""


def cache_of(api: Api) -> ResponseCache:
    cache: ResponseCache = api.app.state.response_cache
    return cache


async def ask(
    api: Api, headers: dict[str, str] | None = None, token: str | None = None
) -> httpx.Response:
    sent = dict(headers or {})
    if token is not None:
        sent["authorization"] = f"Bearer {token}"
    body: dict[str, Any] = {"query": ARTICLE, "variables": {"id": SAMPLE_ID}}
    return await api.client.post("/graphql", json=body, headers=sent)


async def test_an_unchanged_article_is_answered_304_without_executing(api: Api) -> None:
    first = await ask(api)
    assert first.status_code == 200, first.text
    etag = first.headers["etag"]
    executions = cache_of(api).stats.executions

    again = await ask(api, {"if-none-match": etag})

    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert cache_of(api).stats.executions == executions


async def test_a_rating_gives_a_200_with_a_new_etag(api: Api) -> None:
    first = await ask(api)
    # The sample's fourth physician holds a request to rate it (the sample is rated by request).
    await rate(api, SAMPLE_ID, "sample-physician-4", 6, 5)

    after = await ask(api, {"if-none-match": first.headers["etag"]})

    assert after.status_code == 200, after.text
    assert after.headers["etag"] != first.headers["etag"]
    counts = {
        s["discipline"]["name"]: s["ratingCount"]
        for s in after.json()["data"]["article"]["disciplineScores"]
    }
    assert counts["Physician"] >= 1


async def test_a_kept_answer_is_served_as_stored_bytes_without_executing(api: Api) -> None:
    first = await ask(api)
    executions = cache_of(api).stats.executions
    hits = cache_of(api).stats.hits

    second = await ask(api)

    assert second.content == first.content
    assert cache_of(api).stats.executions == executions
    assert cache_of(api).stats.hits == hits + 1
    assert (await api.client.get("/healthz")).json()["responseCache"]["hits"] == hits + 1


async def test_a_change_to_another_article_keeps_the_answer(api: Api) -> None:

    await ask(api)
    executions = cache_of(api).stats.executions
    await register(api, "Another article", ["Elsewhere"])

    await ask(api)

    assert cache_of(api).stats.executions == executions


async def test_cache_control_is_public_for_the_public_and_private_for_a_token(api: Api) -> None:
    anonymous = await ask(api)
    token = await api.token("subscriber")
    signed_in = await ask(api, token=token)

    assert anonymous.headers["cache-control"] == "public, no-cache"
    assert signed_in.headers["cache-control"] == "private, no-cache"
    for response in (anonymous, signed_in):
        assert "Authorization" in response.headers["vary"]


async def test_mutations_and_introspection_are_neither_kept_nor_tagged(api: Api) -> None:
    token = await api.token("editor")
    mutation = 'mutation { registerDiscipline(input: {name: "Dietitian"}) { __typename } }'
    introspection = "{ __schema { queryType { name } } }"
    for query in (mutation, introspection, introspection):
        executions = cache_of(api).stats.executions
        response = await api.post(query, token=token)
        assert response.status_code == 200, response.text
        assert "etag" not in response.headers
        assert cache_of(api).stats.executions == executions + 1


async def test_an_article_as_of_a_time_is_answered_afresh(api: Api) -> None:
    query = 'query($id: ID!) { article(id: $id, asOf: "2100-01-01T00:00:00Z") { version } }'
    for _ in range(2):
        executions = cache_of(api).stats.executions
        response = await api.post(query, {"id": SAMPLE_ID})
        assert "etag" not in response.headers, response.text
        assert cache_of(api).stats.executions == executions + 1


async def test_an_answer_with_errors_is_not_kept(api: Api) -> None:
    query = '{ article(id: "no such id!") { version } }'
    for _ in range(2):
        executions = cache_of(api).stats.executions
        response = await api.post(query)
        assert "errors" in response.json()
        assert cache_of(api).stats.executions == executions + 1


async def test_the_cache_is_bounded_in_bytes(database_url: str) -> None:
    async with running(Settings(database_url=database_url, response_cache_bytes=3000)) as api:
        for first in range(1, 8):
            query = "query($n: Int!) { articles(first: $n) { edges { node { abstract } } } }"
            await api.post(query, {"n": first})
        cache = cache_of(api)
        assert cache.size_bytes <= 3000
        assert cache.stats.evictions > 0


async def test_a_cache_of_no_bytes_keeps_nothing_and_executes_every_request(
    database_url: str,
) -> None:
    async with running(Settings(database_url=database_url, response_cache_bytes=0)) as api:
        query = "{ topics { name articleCount } }"
        answers = [await api.post(query) for _ in range(3)]
        cache = cache_of(api)
        assert cache.stats.executions == 3
        assert (cache.stats.hits, cache.stats.repeats, cache.size_bytes) == (0, 0, 0)
        assert cache.as_json()["entries"] == 0
        assert len({a.content for a in answers}) == 1
        assert answers[0].json()["data"]["topics"]


async def test_an_answer_executed_again_with_the_same_bytes_keeps_its_etag(api: Api) -> None:
    first = await api.post("{ topics { name articleCount } }")
    etag = first.headers["etag"]
    executions = cache_of(api).stats.executions
    # An event outside every article counts as touching every answer: this one runs again.
    await api.services.ledger.execute(RegisterDiscipline(name="Orthoptist"), actor=EDITOR)

    again = await api.client.post(
        "/graphql",
        json={"query": "{ topics { name articleCount } }"},
        headers={"if-none-match": etag},
    )

    assert cache_of(api).stats.executions == executions + 1
    assert again.status_code == 304
