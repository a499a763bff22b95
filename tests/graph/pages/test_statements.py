"""The fast path sends one statement per known page: no BEGIN/COMMIT pair around it, and
nothing through SQLAlchemy's execution (the statement text is built once, at import)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from graph.http.pages.documents import ARTICLE_LIST, ARTICLE_PAGE
from ledger.use_cases.sample import SAMPLE_ARTICLE_ID
from tests.graph.conftest import Api
from tests.graph.helpers import counting_statements
from tests.graph.pages.helpers import answered_fast


@contextmanager
def driver_queries(api: Api) -> Iterator[list[str]]:
    """Every query asyncpg sends on the app's connections (its own query logger, attached to
    each connection as the pool hands it out)."""
    queries: list[str] = []
    attached: list[Any] = []

    def log(record: Any) -> None:
        queries.append(record.query)

    def attach(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        driver = dbapi_connection.driver_connection
        if driver not in attached:
            driver.add_query_logger(log)
            attached.append(driver)

    pool = api.services.engine.sync_engine.pool
    event.listen(pool, "checkout", attach)
    try:
        yield queries
    finally:
        event.remove(pool, "checkout", attach)
        for driver in attached:
            driver.remove_query_logger(log)


@pytest.mark.parametrize(
    ("query", "variables"),
    [(ARTICLE_PAGE, {"id": SAMPLE_ARTICLE_ID}), (ARTICLE_LIST, {"first": 20})],
    ids=["article", "list"],
)
async def test_a_known_page_is_one_statement_on_the_driver(
    api: Api, backend: str, query: str, variables: dict[str, Any]
) -> None:
    await api.post(query, variables)  # the pool's connections exist
    before = answered_fast(api)
    cache = api.app.state.response_cache

    async def ask() -> None:
        cache.clear()  # each request a miss: the fast path's own statement, not a kept answer
        assert (await api.post(query, variables)).status_code == 200

    with counting_statements(api) as through_sqlalchemy:
        if backend == "postgresql":
            with driver_queries(api) as sent:
                for _ in range(3):
                    await ask()
            assert len(sent) == 3, sent
            assert all(query.lstrip().startswith("SELECT") for query in sent), sent
        else:
            for _ in range(3):
                await ask()
    assert through_sqlalchemy == []
    assert answered_fast(api) == before + 3


@pytest.mark.parametrize("asked", ["no-such-article"])
async def test_an_unknown_article_costs_the_executor_its_own_statements(
    api: Api, asked: str
) -> None:
    # The fast path found nothing, so the executor answers (null) in its own statements.
    with counting_statements(api) as through_sqlalchemy:
        response = await api.post(ARTICLE_PAGE, {"id": asked})
    assert response.json() == {
        "data": {"article": None, "ratingScales": response.json()["data"]["ratingScales"]}
    }
    assert through_sqlalchemy
