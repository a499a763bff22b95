"""The article page answered from one read equals the general executor's answer, for any
history of an article and every caller; what it cannot answer as plain data (an unknown,
malformed or retracted article, another document) the executor answers."""

from __future__ import annotations

import uuid
from contextlib import suppress
from typing import Any

from hypothesis import HealthCheck, given, settings
from sqlalchemy import insert

from graph.http.pages.documents import ARTICLE_PAGE
from ledger.domain.errors import DomainError
from ledger.store.tables import people
from ledger.use_cases.sample import SAMPLE_ARTICLE_ID
from tests.graph.conftest import Api
from tests.graph.helpers import article_global_id
from tests.graph.pages.helpers import answered_fast, both_ways
from tests.store.commands import DISCIPLINES, EDITOR, READER, Histories, run
from tests.store.commands import _register as register_article

HISTORIES = Histories(
    articles=3,
    raters=6,
    kinds=["submit"] * 5
    + ["revise"] * 2
    + ["withdraw", "comment", "comment", "hide", "restore", "topics", "correct"]
    + ["correct_with_topics", "register", "retract"],
    article_weights=[0, 1, 0, 1, 2],
    min_size=5,
    max_size=30,
)
ROLES = ("subscriber", "rater", "editor", "auditor")


async def _tokens(api: Api, rater_id: str) -> list[str | None]:
    """No token, and one of each role (the rater's rated these articles, maybe)."""
    return [None, *[await api.token(role, rater_id if role == "rater" else None) for role in ROLES]]


async def _name_the_reader(api: Api) -> None:
    async with api.services.engine.begin() as conn:
        await conn.execute(
            insert(people), [{"person_id": READER.id, "display_name": "Sam Subscriber"}]
        )


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
    prefix = uuid.uuid4().hex[:8]  # each example writes its own articles and raters
    ledger = api.services.ledger
    await _prepare(api, prefix)
    for command in history:
        with suppress(DomainError):  # a refused command changes nothing
            await run(ledger, prefix, HISTORIES, command)
    if not await _reader_named(api):
        await _name_the_reader(api)
    ids = [f"{prefix}-a{n}" for n in range(HISTORIES.articles)]
    for token in await _tokens(api, f"{prefix}-r0"):
        for article_id in ids:
            for asked in (article_id, article_global_id(article_id)):
                fast, general = await both_ways(api, ARTICLE_PAGE, {"id": asked}, token)
                assert fast == general, (asked, token)


async def _prepare(api: Api, prefix: str) -> None:
    """As ``tests.store.commands.prepare``, beside the sample article's disciplines."""
    ledger = api.services.ledger
    for name in DISCIPLINES:
        with suppress(DomainError):  # registered before
            await ledger.register_discipline(name, actor=EDITOR)
    for number in range(HISTORIES.raters):
        await ledger.enrol_rater(
            rater_id=f"{prefix}-r{number}",
            discipline=DISCIPLINES[number % len(DISCIPLINES)],
            actor=EDITOR,
        )
    for number in range(HISTORIES.articles - 1):
        await register_article(ledger, f"{prefix}-a{number}", number, ["A", "B"])


async def _reader_named(api: Api) -> bool:
    async with api.services.engine.connect() as conn:
        found = await conn.scalar(people.select().where(people.c.person_id == READER.id))
    return found is not None


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
    await api.services.ledger.retract_article(
        SAMPLE_ARTICLE_ID, "retracted by the journal", actor=EDITOR
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
