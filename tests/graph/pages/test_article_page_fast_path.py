"""The article page answered from one read equals the general executor's answer, for any
history of an article and every caller; what it cannot answer as plain data (an unknown,
malformed or retracted article, another document) the executor answers."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from graph.http.pages.documents import ARTICLE_PAGE
from ledger.domain.commands import RetractArticle
from ledger.use_cases.sample import SAMPLE_ARTICLE_ID
from tests.graph.conftest import Api
from tests.graph.helpers import article_global_id
from tests.graph.pages.helpers import answered_fast, both_ways
from tests.graph.pages.histories import HISTORIES, tokens, written
from tests.store.commands import EDITOR


async def test_the_sample_article_is_answered_by_the_fast_path_as_the_executor_answers(
    api: Api,
) -> None:
    before = answered_fast(api)
    fast, general = await both_ways(api, ARTICLE_PAGE, {"id": SAMPLE_ARTICLE_ID})
    assert answered_fast(api) == before + 1
    assert fast == general
    assert fast.body["data"]["article"]["subscriberComments"] is not None


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=HISTORIES.strategy)
async def test_any_article_page_equals_the_executors_for_every_caller(
    api: Api, history: list[tuple[Any, ...]]
) -> None:
    ids = await written(api, history)
    for token in await tokens(api, ids[0].replace("-a0", "-r0")):
        for article_id in ids:
            for asked in (article_id, article_global_id(article_id)):
                fast, general = await both_ways(api, ARTICLE_PAGE, {"id": asked}, token)
                assert fast == general, (asked, token)


async def test_unknown_and_malformed_ids_are_answered_as_the_executor_answers(
    api: Api,
) -> None:
    before = answered_fast(api)
    for asked in (
        "no-such-article",
        "not an id!",
        "",
        "x" * 65,
        article_global_id("no-such-article"),
        "TGVkZ2VyRXZlbnQ6MQ==",  # a LedgerEvent's global id
    ):
        fast, general = await both_ways(api, ARTICLE_PAGE, {"id": asked})
        assert fast == general, asked
    assert answered_fast(api) == before


async def test_a_retracted_article_is_answered_by_the_executor(api: Api) -> None:
    await api.services.ledger.execute(
        RetractArticle(article_id=SAMPLE_ARTICLE_ID, reason="retracted by the journal"),
        actor=EDITOR,
    )
    before = answered_fast(api)
    fast, general = await both_ways(api, ARTICLE_PAGE, {"id": SAMPLE_ARTICLE_ID})
    assert fast == general
    assert fast.body["data"]["article"]["retraction"]["reason"] == "retracted by the journal"
    assert answered_fast(api) == before


async def test_other_documents_and_other_variables_go_to_the_executor(api: Api) -> None:
    sample = {"id": SAMPLE_ARTICLE_ID}
    variants: list[tuple[str, dict[str, Any] | None]] = [
        (ARTICLE_PAGE.replace("studyType", "studyType registeredAt"), sample),
        (ARTICLE_PAGE.replace("    version\n", "    v: version\n"), sample),
        (ARTICLE_PAGE.replace("abstract", "abstract @include(if: true)"), sample),
        (ARTICLE_PAGE, {"id": SAMPLE_ARTICLE_ID, "other": 1}),
        (ARTICLE_PAGE, {}),
        (ARTICLE_PAGE, None),
        (ARTICLE_PAGE, {"id": 12}),
    ]
    before = answered_fast(api)
    for query, variables in variants:
        fast, general = await both_ways(api, query, variables)
        assert fast == general, (query, variables)
    assert answered_fast(api) == before


async def test_the_same_document_laid_out_otherwise_is_known_by_its_hash(api: Api) -> None:
    before = answered_fast(api)
    compact = " ".join(ARTICLE_PAGE.split())
    fast, general = await both_ways(api, compact, {"id": SAMPLE_ARTICLE_ID})
    assert fast == general
    assert answered_fast(api) == before + 1
