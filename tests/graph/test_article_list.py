"""The article list over HTTP: full-text search, its ranked paging, filters and totals."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from ledger.domain.commands import RegisterStudyType, RetractArticle
from ledger.use_cases.sample import CITATION as SAMPLE_CITATION
from ledger.use_cases.sample import TOPICS as SAMPLE_TOPICS
from tests.graph.conftest import Api
from tests.graph.helpers import (
    EDITOR,
    SAMPLE_ID,
    article_global_id,
    counting_statements,
    enrol,
    rate,
    register,
)

LIST = """
query($first: Int, $after: String, $search: String, $topic: String, $discipline: String,
      $studyType: String, $includeRetracted: Boolean) {
  articles(first: $first, after: $after, search: $search, topic: $topic,
           discipline: $discipline, studyType: $studyType, includeRetracted: $includeRetracted) {
    totalCount
    edges { cursor node { id } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def listed(api: Api, **arguments: Any) -> list[str]:
    """The plain ids of the first page (of 50) of ``articles(...)``."""
    data = await api.data(LIST, {"first": 50, **arguments})
    return [plain_id(edge["node"]["id"]) for edge in data["articles"]["edges"]]


def plain_id(global_id: str) -> str:
    return base64.b64decode(global_id).decode().removeprefix("Article:")


async def refusal(api: Api, **arguments: Any) -> dict[str, Any]:
    response = await api.post(LIST, {"first": 5, **arguments})
    payload = response.json()
    assert payload.get("data") is None, payload
    [error] = payload["errors"]
    assert "Unexpected error" not in error["message"]
    extensions: dict[str, Any] = error["extensions"]
    return extensions


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


async def test_words_of_the_sample_article_find_it_in_any_order(api: Api) -> None:
    await register(api, "Bone density after menopause", ["Osteoporosis"])

    assert await listed(api, search="intradiscal bone marrow") == [SAMPLE_ID]
    assert await listed(api, search="marrow BONE Intradiscal") == [SAMPLE_ID]
    assert await listed(api, search="Kubrova") == [SAMPLE_ID]  # an author, without the accent
    assert await listed(api, search="J Pain Res") == [SAMPLE_ID]  # the journal's abbreviation


async def test_the_sample_articles_doi_finds_it_exactly(api: Api) -> None:
    doi = SAMPLE_CITATION["doi"]
    await register(api, "Another article", ["Other"], doi=doi + "0")

    assert await listed(api, search=doi) == [SAMPLE_ID]


async def test_a_pmid_finds_its_article_exactly(api: Api) -> None:
    owner = await register(api, "A trial of something", ["Other"], pmid="35178429")
    await register(api, "A trial of something else", ["Other"], pmid="3517842")

    assert await listed(api, search="35178429") == [owner]


async def test_a_number_in_a_search_matches_that_whole_number_only(api: Api) -> None:
    """A substring search found "intervention 42" in "intervention 429"."""
    expected = await register(api, "Outcomes of intervention 42", ["Other"])
    await register(api, "Outcomes of intervention 429", ["Other"])
    await register(api, "Outcomes of intervention 4", ["Other"])

    assert await listed(api, search="intervention 42") == [expected]


@pytest.mark.parametrize("query", ["über", "ÜBER", "uber", "Über ärzte"])
async def test_case_and_accents_are_folded_alike_on_every_backend(api: Api, query: str) -> None:
    """SQLite's lower() folds only ASCII: "über" found nothing there, the article on
    PostgreSQL."""
    expected = await register(api, "Über Ärzte und ihre Patienten", ["Other"])
    await register(api, "Uberlegen", ["Other"])

    assert await listed(api, search=query) == [expected]


async def test_an_accented_word_matches_its_capitals(api: Api) -> None:
    expected = await register(api, "Une ÉTUDE de cohorte", ["Other"])

    assert await listed(api, search="étude") == [expected]
    assert await listed(api, search="etude COHORTE") == [expected]


async def test_search_syntax_in_a_query_is_taken_as_words(api: Api) -> None:
    expected = await register(api, "Near the spine: surgery or not", ["Other"])

    assert await listed(api, search='surgery" OR "not') == [expected]
    assert await listed(api, search='surgery" OR "nothing') == []  # not an OR: every word
    assert await listed(api, search="NEAR(spine surgery)") == [expected]
    assert await listed(api, search="spine* -surgery") == [expected]
    assert await listed(api, search="title:spine") == []  # "title" is a word, not a column
    assert await listed(api, search="%") == []


async def test_a_blank_search_lists_every_article_newest_first(api: Api) -> None:
    newer = await register(api, "A newer article", ["Other"])

    assert await listed(api, search="  ") == [newer, SAMPLE_ID]


async def test_paging_through_a_search_returns_each_hit_once_best_first(api: Api) -> None:
    expected = set()
    for number in range(7):
        title = "Quokka " * (1 + number % 3) + f"study {number}"
        expected.add(await register(api, title, ["Other"]))
    await register(api, "Knee study", ["Other"])

    seen: list[str] = []
    after = None
    while True:
        data = (await api.data(LIST, {"first": 2, "after": after, "search": "quokka"}))["articles"]
        seen += [plain_id(edge["node"]["id"]) for edge in data["edges"]]
        assert data["totalCount"] == len(expected)
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]

    assert sorted(seen) == sorted(expected)


async def test_a_list_cursor_is_refused_by_a_search_and_a_search_cursor_by_the_list(
    api: Api,
) -> None:
    await register(api, "Spine study", ["Other"])
    plain = (await api.data(LIST, {"first": 1}))["articles"]["pageInfo"]["endCursor"]
    ranked = (await api.data(LIST, {"first": 1, "search": "spine"}))["articles"]["pageInfo"][
        "endCursor"
    ]

    assert await refusal(api, search="spine", after=plain) == {
        "code": "BAD_USER_INPUT",
        "argument": "after",
    }
    assert (await refusal(api, after=ranked))["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    "forged",
    [
        "search:4611686018427387904:5",  # rank key past its bound
        "search:1:9223372036854775808",  # position past BIGINT
        "search:1:0",
        "search:²:5",  # a digit, not an ASCII one
        "search:-1:5",
        "search:1:5\n",
        "search:" + "9" * 30 + ":5",
    ],
)
async def test_a_search_cursor_out_of_range_is_refused_as_bad_user_input(
    api: Api, forged: str
) -> None:
    assert await refusal(api, search="spine", after=cursor(forged)) == {
        "code": "BAD_USER_INPUT",
        "argument": "after",
    }


async def test_the_topic_filter_ignores_case(api: Api) -> None:
    assert await listed(api, topic="back pain") == [SAMPLE_ID]
    assert await listed(api, topic="BACK PAIN") == [SAMPLE_ID]
    assert await listed(api, topic="Back") == []


async def test_an_unknown_discipline_filter_is_refused_as_bad_user_input(api: Api) -> None:
    position = (await api.services.store.head()).position

    assert await refusal(api, discipline="Astrologer") == {
        "code": "BAD_USER_INPUT",
        "argument": "discipline",
    }
    assert (await api.services.store.head()).position == position


async def test_a_discipline_filter_takes_the_registered_name_in_any_case(api: Api) -> None:
    nursed = await register(api, "Wound care", ["Other"])
    await enrol(api, "nurse-1", "Nurse")
    await rate(api, nursed, "nurse-1", 6, 6)

    assert await listed(api, discipline="Nurse") == [nursed]
    assert await listed(api, discipline="nurse") == [nursed]


async def test_retracted_articles_are_listed_only_when_included(api: Api) -> None:
    kept = await register(api, "Quokka study that stands", ["Back Pain"])
    retracted = await register(api, "Quokka study withdrawn", ["Back Pain"])
    await api.services.ledger.execute(RetractArticle(retracted, "fabricated data"), actor=EDITOR)

    assert await listed(api) == [kept, SAMPLE_ID]
    assert await listed(api, includeRetracted=True) == [retracted, kept, SAMPLE_ID]
    assert await listed(api, search="quokka") == [kept]
    assert set(await listed(api, search="quokka", includeRetracted=True)) == {kept, retracted}
    assert await listed(api, topic="back pain", includeRetracted=False) == [kept, SAMPLE_ID]


async def test_total_count_is_the_number_of_matches_on_every_page(api: Api) -> None:
    for number in range(5):
        await register(api, f"Quokka study {number}", ["Back Pain"])
    withdrawn = await register(api, "Quokka study withdrawn", ["Back Pain"])
    await api.services.ledger.execute(RetractArticle(withdrawn, "duplicate"), actor=EDITOR)

    async def total(**arguments: Any) -> int:
        count: int = (await api.data(LIST, {"first": 1, **arguments}))["articles"]["totalCount"]
        return count

    assert await total() == 6
    assert await total(includeRetracted=True) == 7
    assert await total(search="quokka") == 5
    assert await total(search="quokka", includeRetracted=True) == 6
    assert await total(topic="back pain") == 6
    assert await total(search="nothing like it") == 0
    assert await total(search="%") == 0


async def test_an_article_found_by_search_resolves_by_its_id(api: Api) -> None:
    [found] = await listed(api, search="Kubrova intradiscal")
    query = "query($id: ID!) { article(id: $id) { citation { doi } } }"

    data = await api.data(query, {"id": article_global_id(found)})

    assert data["article"]["citation"]["doi"] == SAMPLE_CITATION["doi"]


async def test_related_articles_leave_out_retracted_ones(api: Api) -> None:
    kept = await register(api, "Quokka study that stands", list(SAMPLE_TOPICS))
    retracted = await register(api, "Quokka study withdrawn", list(SAMPLE_TOPICS))
    await api.services.ledger.execute(RetractArticle(retracted, "fabricated data"), actor=EDITOR)
    query = "query($id: ID!) { article(id: $id) { relatedArticles(first: 5) { id } } }"

    data = await api.data(query, {"id": article_global_id(SAMPLE_ID)})

    assert [plain_id(a["id"]) for a in data["article"]["relatedArticles"]] == [kept]


async def test_a_topics_article_count_leaves_out_retracted_articles_as_the_list_does(
    api: Api,
) -> None:
    await register(api, "Quokka study that stands", ["Back Pain"])
    retracted = await register(api, "Quokka study withdrawn", ["Back Pain"])
    await api.services.ledger.execute(RetractArticle(retracted, "fabricated data"), actor=EDITOR)
    on_article = "query($id: ID!) { article(id: $id) { topics { name articleCount } } }"

    listed_total = (await api.data(LIST, {"first": 1, "topic": "Back Pain"}))["articles"]
    everywhere = (await api.data("{ topics { name articleCount } }"))["topics"]
    under_article = (await api.data(on_article, {"id": article_global_id(SAMPLE_ID)}))["article"]

    assert listed_total["totalCount"] == 2
    assert {"name": "Back Pain", "articleCount": 2} in everywhere
    assert {"name": "Back Pain", "articleCount": 2} in under_article["topics"]


async def test_total_count_of_a_list_on_one_page_is_read_from_the_page(api: Api) -> None:
    await register(api, "Quokka study", ["Back Pain"])

    with counting_statements(api) as whole:
        one_page = (await api.data(LIST, {"first": 5}))["articles"]
    with counting_statements(api) as cut:
        first_of_two = (await api.data(LIST, {"first": 1}))["articles"]

    assert (one_page["totalCount"], first_of_two["totalCount"]) == (2, 2)
    assert first_of_two["pageInfo"]["hasNextPage"] is True
    assert len(cut) - len(whole) == 1  # the count's own statement, only when a page is cut


async def test_a_study_type_filter_ignores_case_beyond_ascii_on_both_backends(api: Api) -> None:
    await api.services.ledger.execute(RegisterStudyType("Étude de cohorte"), actor=EDITOR)
    cohort = await register(api, "Quokka cohort", ["Back Pain"], study_type="Étude de cohorte")

    assert await listed(api, studyType="ÉTUDE DE COHORTE") == [cohort]
    assert await listed(api, studyType="étude de cohorte") == [cohort]
    assert await listed(api, studyType="systematic REVIEW") == [SAMPLE_ID]
    assert await listed(api, studyType="Not a study type") == []
