"""Automatic persisted queries as Apollo Client sends them: the hash first, the text on
``PERSISTED_QUERY_NOT_FOUND``; by GET with the CSRF rules kept, and never a mutation by GET."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx

from tests.graph.conftest import Api
from tests.graph.helpers import SAMPLE_ID

ARTICLE = "query Title($id: ID!) { article(id: $id) { citation { title } } }"
PREFLIGHT = {"graphql-require-preflight": "1"}


def apollo_hash(query: str) -> str:
    """Apollo Client's hash: sha256 hex of the document's exact text."""
    return hashlib.sha256(query.encode("utf-8")).hexdigest()


def persisted(query: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": apollo_hash(query)}}


async def get(
    api: Api, extensions: dict[str, Any], query: str | None = None, **headers: str
) -> httpx.Response:
    params = {
        "variables": json.dumps({"id": SAMPLE_ID}),
        "operationName": "Title",
        "extensions": json.dumps(extensions),
    }
    if query is not None:
        params["query"] = query
    return await api.client.get("/graphql", params=params, headers=headers)


async def test_an_unknown_hash_is_answered_as_apollo_client_expects(api: Api) -> None:
    response = await get(api, persisted(ARTICLE), **PREFLIGHT)

    assert response.status_code == 200
    assert response.json() == {
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ]
    }


async def test_the_hash_then_the_text_then_the_hash_alone_round_trip(api: Api) -> None:
    missed = await get(api, persisted(ARTICLE), **PREFLIGHT)
    registered = await api.client.post(
        "/graphql",
        json={
            "query": ARTICLE,
            "variables": {"id": SAMPLE_ID},
            "operationName": "Title",
            "extensions": persisted(ARTICLE),
        },
    )
    by_hash = await get(api, persisted(ARTICLE), **PREFLIGHT)

    assert missed.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert registered.status_code == 200, registered.text
    assert by_hash.status_code == 200, by_hash.text
    assert by_hash.json() == registered.json()
    assert by_hash.json()["data"]["article"]["citation"]["title"]


async def test_a_text_that_does_not_match_its_hash_is_refused(api: Api) -> None:
    wrong = persisted("query Other { topics { name } }")
    response = await get(api, wrong, ARTICLE, **PREFLIGHT)

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "provided sha does not match query"
    # Nothing was kept under the wrong name.
    again = await get(api, wrong, **PREFLIGHT)
    assert again.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_get_by_hash_keeps_the_csrf_rules(api: Api) -> None:
    await get(api, persisted(ARTICLE), ARTICLE, **PREFLIGHT)

    forged = await get(api, persisted(ARTICLE))

    assert forged.status_code == 400
    assert forged.json()["errors"][0]["extensions"]["code"] == "CSRF_REFUSED"


async def test_a_persisted_mutation_is_never_run_by_get(api: Api) -> None:
    token = await api.token("editor")
    mutation = 'mutation Add { registerDiscipline(input: {name: "Midwife"}) { __typename } }'
    headers = {"authorization": f"Bearer {token}"}
    kept = await api.client.post(
        "/graphql", json={"query": mutation, "extensions": persisted(mutation)}, headers=headers
    )
    assert kept.status_code == 200, kept.text
    position = (await api.services.store.head()).position

    response = await api.client.get(
        "/graphql",
        params={"extensions": json.dumps(persisted(mutation))},
        headers={**headers, **PREFLIGHT},
    )

    assert response.status_code == 405
    assert (await api.services.store.head()).position == position


async def test_a_version_other_than_1_is_refused(api: Api) -> None:
    extensions = {"persistedQuery": {"version": 2, "sha256Hash": apollo_hash(ARTICLE)}}
    response = await get(api, extensions, **PREFLIGHT)

    assert response.status_code == 400
